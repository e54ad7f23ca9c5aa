import io

import pytest
from PIL import Image

from gridgov.regions.models import Region


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


def jpeg(color=(200, 80, 40), size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def upload():
    """upload(client) → id of a freshly uploaded photo owned by that client's user."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(client, color=(200, 80, 40)):
        response = client.post("/api/v1/photos", {"file": SimpleUploadedFile("p.jpg", jpeg(color), "image/jpeg")})
        assert response.status_code == 201, response.content
        return response.json()["id"]

    return make


@pytest.fixture
def grid_a(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_a").grids.get()


def point_in(region: Region, dx: float = 0.0) -> tuple[float, float]:
    return region.centroid_lon + dx, region.centroid_lat

