import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from gridgov.open311.models import Open311Client
from gridgov.regions.models import Region

FORMATS = ["xml", "json"]
PHONE, EMAIL = "13912345678", "zhang.san@example.cn"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


@pytest.fixture
def api(db):
    """A client as an Open311 application uses it: no session, CSRF checks enforced."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def api_key(db):
    return Open311Client.issue("测试客户端")[1]


@pytest.fixture
def grid(db):
    return Region.objects.filter(level="grid", status="active").first()


@pytest.fixture
def point(grid):
    """(lat, long) of a grid's centroid: inside the district."""
    return grid.centroid_lat, grid.centroid_lon


def parse(response, fmt):
    """The body as plain data: JSON as is; XML as nested dicts/lists keyed by element name (checked on the way)."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return response.json()
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<')
    return ET.fromstring(response.content)


def rows(root: ET.Element, item: str) -> list[dict]:
    """<service_requests><request><a>1</a>…</request></service_requests> → [{"a": "1", …}]; only leaf children."""
    assert all(child.tag == item for child in root), [child.tag for child in root]
    return [{field.tag: field.text or "" for field in child} for child in root]


def errors(response, fmt) -> list[tuple[int, str]]:
    body = parse(response, fmt)
    if fmt == "json":
        assert isinstance(body, list) and body and set(body[0]) == {"code", "description"}
        return [(e["code"], e["description"]) for e in body]
    assert body.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in body.findall("error")]


def post_request(api, fmt, *, key, point=None, headers=None, **fields):
    body = {"api_key": key, "service_code": "0301", "description": "小区门口垃圾堆积，已有异味"}
    if point is not None:
        body.update(lat=str(point[0]), long=str(point[1]))
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    return api.post(f"/open311/v2/requests.{fmt}", body, **(headers or {}))
