"""Real Chromium, a phone: a citizen's position is refused; the form comes back with what they typed, their photo
kept, and a map of their grid (our outlines, no tiles, no outside request) with the pin on it; a pin dragged out of
the district keeps the form from being sent (a photo added meanwhile stays attached); a tap inside the grid and the
report goes in with both photos."""

import io

import pytest
from PIL import Image

from gridgov.web.tests.conftest import shot

pytestmark = pytest.mark.browser


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "lamp.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 30, 60)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


def _pixel(page, lon, lat):
    """Where a point is on the screen: the citizen's map, converted by Leaflet itself."""
    box = page.locator("#map").bounding_box()
    p = page.evaluate("([lon, lat]) => window.__gridgovCitizenMap.latLngToContainerPoint([lat, lon])", [lon, lat])
    return box["x"] + p["x"], box["y"] + p["y"]


def _note(page, words):
    page.wait_for_function("words => document.getElementById('here-note').textContent.includes(words)", arg=words)


def test_a_refused_position_is_moved_on_the_map_and_the_report_goes_in(demo_live_server, page_for, photo, settings,
                                                                       tmp_path):
    from gridgov.accounts.models import User
    from gridgov.events.models import Event
    from gridgov.regions.index import geo_index

    settings.MEDIA_ROOT = tmp_path / "media"
    base = demo_live_server.url
    grid = User.objects.get(username="worker_a").grids.get()

    page = page_for(viewport=(390, 844))
    outside_requests, failed = [], []
    page.on("request", lambda r: r.url.startswith(base) or outside_requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(f"{base}/q/{grid.code}/")
    page.wait_for_selector("#map[data-ready='1']")
    category = page.locator("select[name=category] optgroup option").first.get_attribute("value")
    page.select_option("select[name=category]", category)
    page.fill("textarea[name=description]", "路灯不亮，晚上很黑")
    page.fill("input[name=name]", "王先生")
    page.fill("input[name=phone]", "13800001111")
    page.set_input_files("input[name=photos]", photo)
    # A position the server refuses (e.g. from a phone whose check did not run): sent as the form would be.
    with page.expect_navigation():
        page.evaluate("() => { const f = document.getElementById('citizen'); f.lon.value = '100.0';"
                      " f.lat.value = '20.0'; f.submit(); }")
    page.wait_for_selector("#map[data-ready='1']")
    assert page.input_value("textarea[name=description]") == "路灯不亮，晚上很黑"
    assert page.input_value("input[name=name]") == "王先生" and page.input_value("input[name=phone]") == "13800001111"
    assert page.input_value("select[name=category]") == category
    assert page.locator("#photos-kept").is_visible() and page.locator("#photos-dropped").count() == 0
    assert page.locator("#map path.leaflet-interactive").count() >= 2  # the grid and its neighbours, without tiles
    marker = page.locator("#map img.leaflet-marker-icon")
    marker.wait_for()
    _note(page, "本网格")  # the pin now stands in this grid, to be dragged
    shot(page, "citizen-refused-position-phone")

    # Drag the pin out of the district: the page says so and does not send the form; the photo stays attached.
    page.set_input_files("input[name=photos]", photo)
    page.evaluate("document.getElementById('map').scrollIntoView({block: 'center'})")
    page.click("#map .leaflet-control-zoom-out")  # room around the grid, whose north edge is the district's
    page.wait_for_timeout(400)
    north = page.evaluate("window.__gridgovCitizenMap.getBounds().getNorth()")
    beyond = (grid.centroid_lon, (grid.bbox_n + north) / 2)  # between the grid and the map's top: no grid there
    assert north > grid.bbox_n and geo_index.locate_id(*beyond) is None
    box = marker.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 4)
    page.mouse.down()
    x, y = _pixel(page, *beyond)
    page.mouse.move(x, y, steps=8)
    page.mouse.up()
    _note(page, "不在本区任何网格内")
    url = page.url
    page.click("#citizen button[type=submit]")
    page.wait_for_timeout(300)
    assert page.url == url and page.evaluate("document.querySelector('input[name=photos]').files.length") == 1
    assert "error" in page.get_attribute("#here-note", "class")

    # A tap inside the grid, and the report goes in with everything typed and the photo.
    page.mouse.click(*_pixel(page, grid.centroid_lon, grid.centroid_lat))
    _note(page, "标记所在网格")
    with page.expect_navigation():
        page.click("#citizen button[type=submit]")
    assert "/q/track/" in page.url
    event = Event.objects.get(citizen_token=page.url.rstrip("/").rsplit("/", 1)[1])
    assert event.description == "路灯不亮，晚上很黑" and event.reporter_name == "王先生"
    assert event.grid.path.startswith(grid.path) and event.photos.count() == 2  # the kept one and the one added
    assert outside_requests == [] and failed == [] and page.errors == []
