"""The visits API's permission matrix: anonymous 401 everywhere; who records, who reads the log, who sees whose
overdue list. A visit of a person in grid A by worker_a is the object under test."""

import pytest

from gridgov.visits.models import Visit
from gridgov.visits.tests import factories as f

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "record visit": ("POST", "/api/v1/visits"),
    "visit list": ("GET", "/api/v1/visits"),
    "visit detail": ("GET", "/api/v1/visits/{visit_id}"),
    "overdue": ("GET", "/api/v1/visits/overdue"),
    "overdue per worker": ("GET", "/api/v1/visits/overdue/workers"),
}
PERSONAS = ["worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "leader",
            "police", "hotline", "sysadmin", "secadmin", "auditadmin"]
VISITORS = {"worker_a", "gridleader", "community"}  # field staff whose area holds grid A
READERS = {"worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "leader"}
SEES_VISIT = READERS - {"worker_b"}  # grid A lies outside worker_b's grid
OVERSEERS = {"gridleader", "community", "street_dispatcher", "dispatcher", "leader"}


@pytest.fixture
def person(grid_a):
    return f.person(grid_a, "矩阵走访对象")


@pytest.fixture
def visit(user, person):
    from gridgov.visits.services import visit_record

    return visit_record(actor=user("worker_a"), person=person.pk, findings="矩阵")[0]


def _request(operation, visit, person, worker_a_id):
    return {
        "record visit": ("post", "/api/v1/visits", {"person": person.pk, "findings": "x"}),
        "visit list": ("get", "/api/v1/visits", None),
        "visit detail": ("get", f"/api/v1/visits/{visit.pk}", None),
        "overdue": ("get", f"/api/v1/visits/overdue?worker={worker_a_id}", None),
        "overdue per worker": ("get", "/api/v1/visits/overdue/workers", None),
    }[operation]


def _send(client, request):
    method, url, payload = request
    return client.get(url) if payload is None else client.post(url, data=payload)  # multipart form


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_anonymous_gets_401_and_nothing_changes(as_user, user, visit, person, operation):
    before = Visit.objects.count()
    response = _send(as_user("anonymous"), _request(operation, visit, person, user("worker_a").pk))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert Visit.objects.count() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_record_a_visit_in_grid_a(as_user, user, visit, person, persona):
    before = Visit.objects.count()
    response = _send(as_user(persona), _request("record visit", visit, person, None))
    if persona in VISITORS:
        assert response.status_code == 201, response.content
        assert Visit.objects.count() == before + 1
    else:
        assert response.status_code == (404 if persona == "worker_b" else 403), response.content
        assert Visit.objects.count() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_visit(as_user, visit, persona):
    client = as_user(persona)
    detail = client.get(f"/api/v1/visits/{visit.pk}")
    listed = client.get("/api/v1/visits")
    if persona in SEES_VISIT:
        assert detail.status_code == 200 and visit.pk in [v["id"] for v in listed.json()["items"]]
    else:
        assert detail.status_code == 404
        if persona in READERS:
            assert listed.status_code == 200 and visit.pk not in [v["id"] for v in listed.json()["items"]]
        else:
            assert listed.status_code == 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_whose_overdue_list_may_be_read(as_user, user, visit, person, persona):
    client = as_user(persona)
    own = client.get("/api/v1/visits/overdue")
    of_a = _send(client, _request("overdue", visit, person, user("worker_a").pk))
    per_worker = client.get("/api/v1/visits/overdue/workers")
    if persona in READERS:
        assert own.status_code == 200
        assert of_a.status_code == (404 if persona == "worker_b" else 200)
    else:
        assert own.status_code == of_a.status_code == 403
    if persona in OVERSEERS:
        assert per_worker.status_code == 200 and "worker_a" in [w["username"] for w in per_worker.json()]
    else:
        assert per_worker.status_code == 403
