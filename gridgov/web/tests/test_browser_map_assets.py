"""Real Chromium over the pages with a map, served as production serves them: static files collected with hashed
names (the manifest storage `gridgov serve` uses). Every request a map page makes answers, the marker images too:
Leaflet guesses their place from leaflet.css's name, which the hash changes, and then asked for
/cases/new/marker-icon.png (404)."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser
MANIFEST = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """The static files collected once with hashed names, as `gridgov serve` does before it starts."""
    from django.conf import settings

    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES={**settings.STORAGES, "staticfiles": MANIFEST}):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def hashed_static(settings, collected):
    """Pages name the hashed files; the live server finds them in the collected folder."""
    settings.STATIC_ROOT = collected
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST}
    settings.STATICFILES_DIRS = [collected]
    return collected


def _watch(page):
    page.failed = []
    page.on("response", lambda r: r.status >= 400 and page.failed.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: page.failed.append(f"failed {r.url}"))
    return page


def _click_map(page, selector="#map"):
    page.wait_for_function("() => document.querySelector('.leaflet-interactive, .leaflet-overlay-pane canvas')")
    box = page.locator(selector).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_load_state("networkidle")


def _marker_drawn(page):
    icon = page.locator("img.leaflet-marker-icon").first
    icon.wait_for()
    page.wait_for_function("img => img.complete", arg=icon.element_handle())  # loaded, or broken
    page.wait_for_load_state("networkidle")
    assert page.failed == []
    assert icon.evaluate("img => img.naturalWidth") > 0
    assert "/static/vendor/leaflet/images/marker-icon" in icon.get_attribute("src")


def test_the_report_map_loads_every_asset_and_draws_its_marker(demo_live_server, page_for, hashed_static):
    base = demo_live_server.url
    page = _watch(page_for(viewport=(390, 844)))
    login(page, base, "worker_a")
    page.goto(f"{base}/cases/new/")
    assert "vendor/leaflet/leaflet." in page.content()
    _click_map(page)
    _marker_drawn(page)
    shot(page, "report-map-marker-hashed-static")
    assert page.failed == [] and page.errors == []


def test_the_main_map_and_the_case_pages_load_every_asset(demo_live_server, page_for, hashed_static):
    base = demo_live_server.url
    page = _watch(page_for())
    login(page, base, "street_dispatcher")
    page.goto(f"{base}/map/")
    _click_map(page)
    page.wait_for_selector("#place h3")
    page.goto(f"{base}/cases/")
    page.wait_for_load_state("networkidle")
    assert page.failed == [] and page.errors == []


def test_the_citizen_report_map_loads_every_asset_and_draws_its_pin(demo_live_server, page_for, hashed_static):
    from gridgov.accounts.models import User

    base = demo_live_server.url
    grid = User.objects.get(username="worker_a").grids.get()
    page = _watch(page_for(viewport=(390, 844)))  # a citizen: no account
    page.goto(f"{base}/q/{grid.code}/")
    page.wait_for_selector("#map[data-ready='1']")
    _click_map(page)
    _marker_drawn(page)
    assert page.failed == [] and page.errors == []
