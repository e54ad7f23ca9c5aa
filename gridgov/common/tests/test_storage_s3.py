"""Case photos in an S3-compatible bucket: moto's S3 server runs in this process on a free loopback port, the storage
is configured from GRIDGOV_* environment variables exactly as in production, and photos stay private (no public ACL,
served only through the access-checked photo view, which streams them and never redirects to the bucket)."""

import io
import json
import re
import uuid

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from PIL import Image

from config import settings as project_settings
from gridgov.events.models import Event, Photo

pytestmark = pytest.mark.django_db

S3_VARIABLES = ("GRIDGOV_MEDIA_STORAGE", "GRIDGOV_S3_BUCKET", "GRIDGOV_S3_ENDPOINT_URL", "GRIDGOV_S3_REGION",
                "GRIDGOV_S3_ACCESS_KEY", "GRIDGOV_S3_SECRET_KEY", "GRIDGOV_S3_PREFIX")
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def clean_env(monkeypatch):
    for name in S3_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return monkeypatch


@pytest.fixture
def bucket(s3_endpoint, clean_env, settings, tmp_path):
    """A fresh bucket, and STORAGES["default"] parsed from the environment a deployment would set."""
    name = f"gridgov-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="cn-north-1", aws_access_key_id="AKIDTEST",
                      aws_secret_access_key="test-secret")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    secret_file = tmp_path / "s3-secret"
    secret_file.write_text("test-secret\n")
    for variable, value in {"GRIDGOV_MEDIA_STORAGE": "s3", "GRIDGOV_S3_BUCKET": name,
                            "GRIDGOV_S3_ENDPOINT_URL": s3_endpoint, "GRIDGOV_S3_REGION": "cn-north-1",
                            "GRIDGOV_S3_ACCESS_KEY": "AKIDTEST", "GRIDGOV_S3_SECRET_KEY_FILE": str(secret_file),
                            "GRIDGOV_S3_PREFIX": "/media/"}.items():
        clean_env.setenv(variable, value)
    settings.STORAGES = {**settings.STORAGES, "default": project_settings.media_storage()}
    settings.MEDIA_ROOT = tmp_path / "no-local-media"  # nothing may land on local disk
    return s3, name


def jpeg(color=(30, 120, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (80, 60), color).save(buf, "JPEG")
    return buf.getvalue()


def keys(s3, name) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=name).get("Contents", [])}


def upload(client) -> Photo:
    response = client.post("/api/v1/photos", {"file": SimpleUploadedFile("my holiday.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 201, response.content
    return Photo.objects.get(pk=response.json()["id"])


def photo_bytes(response) -> bytes:
    assert response.status_code == 200 and not response.has_header("Location")
    return b"".join(response.streaming_content)


def test_an_uploaded_photo_lands_in_the_bucket_privately_under_a_server_generated_name(bucket, as_user, tmp_path):
    s3, name = bucket
    photo = upload(as_user("worker_a"))
    assert re.fullmatch(r"photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", photo.file), photo.file
    assert photo.thumbnail == photo.file.replace(".jpg", ".thumb.jpg")
    assert keys(s3, name) == {f"media/{photo.file}", f"media/{photo.thumbnail}"}  # under GRIDGOV_S3_PREFIX
    stored = s3.get_object(Bucket=name, Key=f"media/{photo.file}")
    assert stored["Body"].read()[:3] == b"\xff\xd8\xff" and stored["ContentType"] == "image/jpeg"
    grants = s3.get_object_acl(Bucket=name, Key=f"media/{photo.file}")["Grants"]
    assert grants and not [g for g in grants if g["Grantee"].get("URI") in PUBLIC_GRANTEES], grants
    assert not (tmp_path / "no-local-media").exists()


def test_the_photo_view_streams_from_the_bucket_to_allowed_users_only(bucket, as_user, user):
    s3, name = bucket
    worker_a = as_user("worker_a")
    photo = upload(worker_a)
    grid = user("worker_a").grids.get()
    response = worker_a.post("/api/v1/events", json.dumps({
        "category": "0301", "description": "路边积存垃圾，约两立方", "lon": grid.centroid_lon, "lat": grid.centroid_lat,
        "photos": [photo.pk]}), content_type="application/json")
    assert response.status_code == 201, response.content
    event = Event.objects.get(pk=response.json()["id"])
    assert list(event.photos.values_list("pk", flat=True)) == [photo.pk]
    in_bucket = s3.get_object(Bucket=name, Key=f"media/{photo.file}")["Body"].read()
    thumb_in_bucket = s3.get_object(Bucket=name, Key=f"media/{photo.thumbnail}")["Body"].read()

    for username in ("worker_a", "street_dispatcher"):  # the reporter, the dispatcher of the street above
        client = as_user(username)
        full = client.get(f"/cases/photos/{photo.pk}/full/")
        assert photo_bytes(full) == in_bucket, username
        assert full["Content-Type"] == "image/jpeg" and full["X-Content-Type-Options"] == "nosniff"
        assert full["Cache-Control"] == "private, max-age=3600"
        assert photo_bytes(client.get(f"/cases/photos/{photo.pk}/thumb/")) == thumb_in_bucket
    outsider = as_user("worker_b")  # a worker of a grid in another street
    assert outsider.get(f"/cases/photos/{photo.pk}/full/").status_code == 404
    assert outsider.get(f"/cases/photos/{photo.pk}/thumb/").status_code == 404
    assert as_user("anonymous").get(f"/cases/photos/{photo.pk}/full/").status_code == 302  # to the login page

    s3.delete_object(Bucket=name, Key=f"media/{photo.file}")  # lost in the bucket: a 404, not a server error
    assert as_user("worker_a").get(f"/cases/photos/{photo.pk}/full/").status_code == 404


# --- the settings parser ------------------------------------------------------------------------------------------
def test_photos_never_attached_are_deleted_from_the_bucket(bucket, as_user, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    from gridgov.events.services import photo_prune_unattached

    s3, name = bucket
    stale, fresh = upload(as_user("worker_a")), upload(as_user("worker_a"))
    Photo.objects.filter(pk=stale.pk).update(uploaded_at=timezone.now() - dt.timedelta(hours=25))
    prefix = "media/"
    assert {prefix + stale.file, prefix + stale.thumbnail, prefix + fresh.file} <= keys(s3, name)
    with django_capture_on_commit_callbacks(execute=True):
        assert photo_prune_unattached(hours=24).deleted == 1
    left = keys(s3, name)
    assert prefix + stale.file not in left and prefix + stale.thumbnail not in left
    assert {prefix + fresh.file, prefix + fresh.thumbnail} <= left


def test_local_storage_is_the_default(clean_env):
    assert project_settings.media_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    clean_env.setenv("GRIDGOV_MEDIA_STORAGE", " Local ")
    assert project_settings.media_storage()["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_an_s3_configuration_is_parsed_into_private_storage_options(clean_env, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("AKIDFROMFILE\n")
    for variable, value in {"GRIDGOV_MEDIA_STORAGE": "S3", "GRIDGOV_S3_BUCKET": "gridgov-photos",
                            "GRIDGOV_S3_ENDPOINT_URL": "https://minio.intra:9000", "GRIDGOV_S3_REGION": "cn-east-1",
                            "GRIDGOV_S3_ACCESS_KEY_FILE": str(key_file), "GRIDGOV_S3_SECRET_KEY": "s3cr3t",
                            "GRIDGOV_S3_PREFIX": "gridgov/media/"}.items():
        clean_env.setenv(variable, value)
    assert project_settings.media_storage() == {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": "gridgov-photos", "location": "gridgov/media", "default_acl": None, "querystring_auth": True,
        "file_overwrite": False, "endpoint_url": "https://minio.intra:9000", "addressing_style": "path",
        "region_name": "cn-east-1", "access_key": "AKIDFROMFILE", "secret_key": "s3cr3t"}}


@pytest.mark.parametrize("variables, words", [
    ({"GRIDGOV_MEDIA_STORAGE": "minio"}, "GRIDGOV_MEDIA_STORAGE='minio' is not local or s3"),
    ({"GRIDGOV_MEDIA_STORAGE": "s3"}, "needs GRIDGOV_S3_BUCKET"),
    ({"GRIDGOV_MEDIA_STORAGE": "s3", "GRIDGOV_S3_BUCKET": "  "}, "needs GRIDGOV_S3_BUCKET"),
    ({"GRIDGOV_MEDIA_STORAGE": "s3", "GRIDGOV_S3_BUCKET": "Photos_Bucket"}, "is not a bucket name"),
    ({"GRIDGOV_MEDIA_STORAGE": "s3", "GRIDGOV_S3_BUCKET": "photos", "GRIDGOV_S3_ENDPOINT_URL": "minio.intra:9000"},
     "is not an http(s) URL"),
    ({"GRIDGOV_MEDIA_STORAGE": "s3", "GRIDGOV_S3_BUCKET": "photos", "GRIDGOV_S3_ACCESS_KEY": "AKID"},
     "Set both GRIDGOV_S3_ACCESS_KEY and GRIDGOV_S3_SECRET_KEY"),
    ({"GRIDGOV_MEDIA_STORAGE": "s3", "GRIDGOV_S3_BUCKET": "photos", "GRIDGOV_S3_SECRET_KEY": "x"}, "Set both"),
    ({"GRIDGOV_S3_BUCKET": "photos"}, "GRIDGOV_S3_BUCKET is set but GRIDGOV_MEDIA_STORAGE is local"),
    ({"GRIDGOV_MEDIA_STORAGE": "s3", "GRIDGOV_S3_BUCKET": "photos", "GRIDGOV_S3_SECRET_KEY_FILE": "/nonexistent/x"},
     "GRIDGOV_S3_SECRET_KEY_FILE='/nonexistent/x' cannot be read"),
])
def test_bad_configurations_stop_the_start_up(clean_env, variables, words):
    for variable, value in variables.items():
        clean_env.setenv(variable, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        project_settings.media_storage()
    assert words in str(refused.value)
