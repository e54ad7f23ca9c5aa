"""The events API's permission matrix: anonymous 401 everywhere; who may report, upload, move and read."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.events.models import Event
from gridgov.events.tests.conftest import jpeg

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "upload photo": ("POST", "/api/v1/photos"),
    "report case": ("POST", "/api/v1/events"),
    "case list": ("GET", "/api/v1/events"),
    "case queues": ("GET", "/api/v1/events/queues"),
    "case detail": ("GET", "/api/v1/events/{event_id}"),
    "case action": ("POST", "/api/v1/events/{event_id}/actions/{action}"),
    "categories": ("GET", "/api/v1/categories"),
    "indicators": ("GET", "/api/v1/indicators"),
    "indicators xlsx": ("GET", "/api/v1/indicators.xlsx"),
    "12345 push": ("POST", "/api/v1/hotline/orders"),  # signed by the hotline system: see test_hotline.py
}
PERSONAS = ["worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "leader",
            "police", "hotline", "sysadmin", "secadmin", "auditadmin"]
REPORTERS = {"worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher"}
UPLOADERS = REPORTERS | {"police", "hotline"}


@pytest.fixture
def case(grid_a):
    from gridgov.accounts.models import User
    from gridgov.events.services import Report, event_report

    return event_report(actor=User.objects.get(username="street_dispatcher"), report=Report(
        category_code="0401", description="权限矩阵测试", lon=grid_a.centroid_lon, lat=grid_a.centroid_lat,
        channel="dispatcher"))


def _request(operation, case):
    return {
        "upload photo": ("post", "/api/v1/photos", {"file": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")}),
        "report case": ("post", "/api/v1/events", {"category": "0401", "description": "x", "lon": case.lon,
                                                   "lat": case.lat}),
        "case list": ("get", "/api/v1/events", None),
        "case queues": ("get", "/api/v1/events/queues", None),
        "case detail": ("get", f"/api/v1/events/{case.pk}", None),
        "case action": ("post", f"/api/v1/events/{case.pk}/actions/supervise", {}),
        "categories": ("get", "/api/v1/categories", None),
        "indicators": ("get", "/api/v1/indicators", None),
        "indicators xlsx": ("get", "/api/v1/indicators.xlsx", None),
        "12345 push": ("post", "/api/v1/hotline/orders", {"order_no": "GD-M", "category": "0401", "description": "x",
                                                          "lon": case.lon, "lat": case.lat}),
    }[operation]


def _send(client, request):
    method, url, payload = request
    if payload is None:
        return getattr(client, method)(url)
    if "file" in payload:
        return getattr(client, method)(url, data=payload)
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_anonymous_gets_401_and_nothing_changes(as_user, case, operation):
    before = (Event.objects.count(), case.transitions.count())
    response = _send(as_user("anonymous"), _request(operation, case))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert (Event.objects.count(), case.transitions.count()) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_report_a_case(as_user, case, persona):
    before = Event.objects.count()
    response = _send(as_user(persona), _request("report case", case))
    if persona in REPORTERS:
        assert response.status_code == 201, response.content
        assert Event.objects.count() == before + 1
    else:
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert Event.objects.count() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_upload_photos(as_user, case, persona):
    response = _send(as_user(persona), _request("upload photo", case))
    assert response.status_code == (201 if persona in UPLOADERS else 403)


# Who sees the case (reported by the street dispatcher in grid A, 矛盾纠纷 → the street's 社会稳定办 + 派出所).
SEES_CASE = {"worker_a", "gridleader", "community", "street_dispatcher", "dispatcher", "leader", "police"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_case(as_user, case, persona):
    client = as_user(persona)
    detail = client.get(f"/api/v1/events/{case.pk}")
    listed = [e["id"] for e in client.get("/api/v1/events").json()["items"]]
    if persona in SEES_CASE:
        assert detail.status_code == 200 and case.pk in listed
    else:
        assert detail.status_code == 404 and case.pk not in listed


# Who may supervise (督办) the running case: the dispatching roles and leaders in scope.
SUPERVISES = {"street_dispatcher", "dispatcher", "community", "leader"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_supervise(as_user, case, persona):
    response = _send(as_user(persona), _request("case action", case))
    case.refresh_from_db()
    if persona in SUPERVISES:
        assert response.status_code == 200 and case.supervised
    else:
        assert response.status_code in (403, 404) and not case.supervised
        assert response.status_code == (403 if persona in SEES_CASE else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_categories_and_queues_are_readable_by_staff(as_user, persona):
    assert as_user(persona).get("/api/v1/categories").status_code == 200
    queues = as_user(persona).get("/api/v1/events/queues")
    assert queues.status_code == 200


CASE_READERS = SEES_CASE | {"worker_b", "hotline"}  # every role that handles cases has indicators over its own


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", ["indicators", "indicators xlsx"])
def test_who_may_read_indicators(as_user, case, persona, operation):
    response = _send(as_user(persona), _request(operation, case))
    if persona in CASE_READERS:
        assert response.status_code == 200
    else:
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
