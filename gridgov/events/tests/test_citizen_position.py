"""A citizen whose position is refused (outside the district's grids) gets the form back with everything typed, a
map to move the pin on, and their photos kept for the next try (or a clear word to add again those that could not
be kept); the map's outlines and the pin's check are public and need nothing but our own data."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.events.models import Event
from gridgov.events.tests.conftest import jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid_a(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_a").grids.get()


def _fileable_category(client, grid) -> str:
    page = client.get(f"/q/{grid.code}/").content.decode()
    return re.search(r'<option value="([^"]+)"', page.split('name="category"')[1]).group(1)


def test_a_refused_position_comes_back_with_a_map_and_everything_typed(grid_a):
    client = Client()
    before = Event.objects.count()
    category = _fileable_category(client, grid_a)
    response = client.post(f"/q/{grid_a.code}/", {
        "category": category, "description": "路灯不亮，晚上很黑", "lon": "100.0", "lat": "20.0", "name": "王先生",
        "phone": "13800001111", "photos": SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 422
    body = response.content.decode()
    assert Event.objects.count() == before
    assert "不在本区任何网格内" in body and "把标记移到问题所在的位置" in body  # what to do, by the map
    assert f'data-grids="/q/{grid_a.code}/grids.geojson"' in body and 'id="map"' in body
    assert 'value="100.0"' in body and 'value="20.0"' in body  # the refused pin, to be moved
    assert "路灯不亮，晚上很黑" in body and 'value="王先生"' in body and 'value="13800001111"' in body
    assert f'<option value="{category}" selected>' in body
    assert 'id="photos-kept"' in body and "已为您保留 1 张照片" in body and 'id="photos-dropped"' not in body
    assert "vendor/leaflet/leaflet.js" in body and "unpkg" not in body and "cdn" not in body.lower()
    # Sent again from a place in the grid, without adding the photo again: the kept one goes with the report.
    token = re.search(r'name="kept_photos" value="([^"]+)"', body).group(1)
    done = client.post(f"/q/{grid_a.code}/", {
        "category": category, "description": "路灯不亮，晚上很黑", "lon": grid_a.centroid_lon,
        "lat": grid_a.centroid_lat, "name": "王先生", "kept_photos": token})
    assert done.status_code == 302, done.content.decode()[:500]
    event = Event.objects.get(citizen_token=done["Location"].rstrip("/").rsplit("/", 1)[1])
    assert list(event.photos.values_list("kind", flat=True)) == ["report"]
    again = client.post(f"/q/{grid_a.code}/", {  # the same token twice: the photo belongs to the first report now
        "category": category, "description": "又一次", "kept_photos": token})
    assert again.status_code == 302 and Event.objects.latest("pk").photos.count() == 0


def test_a_kept_photo_is_for_its_own_grid_and_a_forged_token_names_nothing(grid_a):
    from gridgov.accounts.models import User

    client = Client()
    category = _fileable_category(client, grid_a)
    refused = client.post(f"/q/{grid_a.code}/", {
        "category": category, "description": "路灯不亮", "lon": "100.0", "lat": "20.0",
        "photos": SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg")}).content.decode()
    token = re.search(r'name="kept_photos" value="([^"]+)"', refused).group(1)
    grid_b = User.objects.get(username="worker_b").grids.get()
    for code, kept in ((grid_b.code, token), (grid_a.code, token[:-2] + "xx")):
        done = client.post(f"/q/{code}/", {"category": category, "description": "路灯不亮", "kept_photos": kept})
        assert done.status_code == 302
        assert Event.objects.latest("pk").photos.count() == 0


def test_photos_that_are_not_images_are_to_be_added_again(grid_a):
    client = Client()
    response = client.post(f"/q/{grid_a.code}/", {
        "category": _fileable_category(client, grid_a), "description": "路灯不亮", "lon": "100.0", "lat": "20.0",
        "photos": SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image", "image/jpeg")})
    body = response.content.decode()
    assert response.status_code == 422 and 'id="photos-dropped"' in body and "重新添加" in body
    assert 'id="photos-kept"' not in body


def test_without_photos_nothing_is_said_about_photos(grid_a):
    client = Client()
    response = client.post(f"/q/{grid_a.code}/", {"category": _fileable_category(client, grid_a),
                                                  "description": "路灯不亮", "lon": "100.0", "lat": "20.0"})
    body = response.content.decode()
    assert response.status_code == 422 and 'id="photos-dropped"' not in body and 'id="photos-kept"' not in body


def test_the_map_outlines_are_public_and_say_nothing_but_names(grid_a):
    response = Client().get(f"/q/{grid_a.code}/grids.geojson")
    assert response.status_code == 200
    features = response.json()["features"]
    assert features[0]["properties"] == {"code": grid_a.code, "name": grid_a.name, "home": True}
    assert len(features) > 1 and all(set(f["properties"]) == {"code", "name", "home"} for f in features)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    assert Client().get("/q/nonexistent/grids.geojson").status_code == 404


def test_the_pin_check_names_the_grid_or_none(grid_a):
    client = Client()
    inside = client.get(f"/q/{grid_a.code}/where/", {"lon": grid_a.centroid_lon, "lat": grid_a.centroid_lat})
    assert inside.status_code == 200 and inside.json()["grid"].startswith(grid_a.name)
    outside = client.get(f"/q/{grid_a.code}/where/", {"lon": 100.0, "lat": 20.0})
    assert outside.status_code == 200 and outside.json() == {"grid": None}
    for bad in ({"lon": "east", "lat": 20}, {"lon": 500, "lat": 20}, {"lat": 20}):
        refused = client.get(f"/q/{grid_a.code}/where/", bad)
        assert refused.status_code == 422 and refused.json()["code"] == "invalid"
