"""Real headless Chromium: log in, see the grids drawn on the map, click a grid, see who is responsible."""

import pytest

from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser


def test_login_map_and_grid_details(demo_live_server, page_for):
    from gridgov.regions.models import Region

    base = demo_live_server.url
    page = page_for()
    page.goto(f"{base}/map/")
    assert "/login/" in page.url  # the map needs a login
    page.fill("#id_username", "street_dispatcher")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".errorlist").is_visible()  # a clear error, in Chinese
    assert "用户名" in page.locator(".errorlist").inner_text() or "密码" in page.locator(".errorlist").inner_text()
    login(page, base, "street_dispatcher")
    page.goto(f"{base}/map/")
    page.wait_for_function("document.getElementById('map').dataset.loaded !== undefined", timeout=15000)
    loaded = page.eval_on_selector("#map", "el => el.dataset.loaded")
    street = Region.objects.filter(level="street").order_by("code").first()
    expected = Region.objects.subtree(street).exclude(status="retired").count()
    assert loaded == str(expected)  # every region of the street's subtree was drawn, nothing outside it
    assert page.locator(".leaflet-overlay-pane canvas").count() >= 1
    assert "地图" in page.locator("nav").inner_text()  # Chinese by default
    shot(page, "map-street-dispatcher")

    # The territory between the demo's split (2025-03-01, one grid more) and its merge (2025-09-01).
    import datetime as dt

    from gridgov.accounts.models import User
    from gridgov.regions.selectors import region_versions_as_of

    dispatcher = User.objects.get(username="street_dispatcher")
    then = region_versions_as_of(user=dispatcher, on=dt.date(2025, 6, 1)).count()
    assert then == expected + 1  # the two merged grids were still two
    from django.utils import timezone

    assert page.get_attribute("#as-of", "max") == timezone.localdate().isoformat()  # the server's today
    page.fill("#as-of", "2025-06-01")
    page.dispatch_event("#as-of", "change")
    page.wait_for_function(f"document.getElementById('map').dataset.loaded === '{then}'", timeout=15000)
    assert page.locator("#as-of-note").is_visible()
    page.click("#as-of-clear")
    page.wait_for_function(f"document.getElementById('map').dataset.loaded === '{expected}'", timeout=15000)

    # Click the middle of a grid: the side panel names it, its ancestors, layers and the people responsible.
    grid = Region.objects.subtree(street).filter(level="grid", status="active").exclude(
        children__level="micro").order_by("code").first()
    page.evaluate(f"window.__gridgovMap.setView([{grid.centroid_lat}, {grid.centroid_lon}], 15, {{animate: false}})")
    x, y = page.evaluate(f"(() => {{ const p = window.__gridgovMap.latLngToContainerPoint("
                         f"[{grid.centroid_lat}, {grid.centroid_lon}]); return [p.x, p.y]; }})()")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#place h3")
    assert page.locator("#place h3").inner_text() == grid.name
    page.wait_for_selector("#responsible ul")
    panel = page.locator("#place").inner_text()
    assert street.name in panel and "警格" in panel
    worker = grid.workers.first()
    assert worker.display_name in panel
    assert worker.phone not in panel and worker.phone[-4:] in panel  # phone masked
    shot(page, "map-grid-clicked")
    assert page.errors == []


def test_worker_sees_only_own_grid_and_phone_layout(demo_live_server, page_for):
    from gridgov.accounts.models import User

    base = demo_live_server.url
    page = page_for(viewport=(390, 800))
    login(page, base, "worker_a")
    page.goto(f"{base}/map/")
    page.wait_for_function("document.getElementById('map').dataset.loaded !== undefined", timeout=15000)
    worker = User.objects.get(username="worker_a")
    grid = worker.grids.get()
    from gridgov.regions.models import Region

    assert page.eval_on_selector("#map", "el => el.dataset.loaded") == str(
        Region.objects.subtree(grid).exclude(status="retired").count())
    page.fill("#q", grid.name[:4])
    page.wait_for_selector("#results li")
    shot(page, "map-worker-phone")
    page.goto(f"{base}/regions/{grid.pk}/")
    assert grid.name in page.locator("h1").inner_text()
    assert "历史" in page.content()
    shot(page, "region-page-phone")
    assert page.errors == []
