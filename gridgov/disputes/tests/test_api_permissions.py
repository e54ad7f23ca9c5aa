"""The disputes API's permission matrix: anonymous 401 everywhere; who registers, reads, mediates and counts. A
dispute registered by worker_a in grid A is the object under test."""

import json

import pytest

from gridgov.disputes.models import Dispute, MediationStep

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "register dispute": ("POST", "/api/v1/disputes"),
    "dispute list": ("GET", "/api/v1/disputes"),
    "dispute stats": ("GET", "/api/v1/disputes/stats"),
    "dispute detail": ("GET", "/api/v1/disputes/{dispute_id}"),
    "mediation step": ("POST", "/api/v1/disputes/{dispute_id}/steps"),
    "dispute action": ("POST", "/api/v1/disputes/{dispute_id}/actions/{action}"),
}
PERSONAS = ["worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "leader",
            "police", "hotline", "sysadmin", "secadmin", "auditadmin"]
MEDIATORS = {"worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher"}
READERS = MEDIATORS | {"leader"}
SEES_DISPUTE = READERS - {"worker_b"}  # grid A lies outside worker_b's grid


@pytest.fixture
def grid_a(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_a").grids.get()


@pytest.fixture
def dispute(user, grid_a):
    from gridgov.disputes.services import PartyIn, dispute_register

    return dispute_register(actor=user("worker_a"), kind="neighbour", summary="矩阵纠纷", grid_id=grid_a.pk,
                            parties=[PartyIn(role="applicant", name="张三", phone="13812345678")])[0]


def _request(operation, dispute, grid_a):
    return {
        "register dispute": ("post", "/api/v1/disputes", {"kind": "family", "summary": "x", "grid": grid_a.pk,
                                                          "parties": [{"role": "applicant", "name": "甲"}]}),
        "dispute list": ("get", "/api/v1/disputes", None),
        "dispute stats": ("get", "/api/v1/disputes/stats", None),
        "dispute detail": ("get", f"/api/v1/disputes/{dispute.pk}", None),
        "mediation step": ("post", f"/api/v1/disputes/{dispute.pk}/steps", {"kind": "talk", "note": "谈话"}),
        "dispute action": ("post", f"/api/v1/disputes/{dispute.pk}/actions/fail", {"reason": "不成"}),
    }[operation]


def _send(client, request):
    method, url, payload = request
    if payload is None:
        return client.get(url)
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def _snapshot(dispute):
    dispute.refresh_from_db()
    return Dispute.objects.count(), MediationStep.objects.count(), dispute.status, dispute.version


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_anonymous_gets_401_and_nothing_changes(as_user, dispute, grid_a, operation):
    before = _snapshot(dispute)
    response = _send(as_user("anonymous"), _request(operation, dispute, grid_a))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert _snapshot(dispute) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_register_in_grid_a(as_user, dispute, grid_a, persona):
    before = Dispute.objects.count()
    response = _send(as_user(persona), _request("register dispute", dispute, grid_a))
    if persona in MEDIATORS - {"worker_b"}:
        assert response.status_code == 201, response.content
        assert Dispute.objects.count() == before + 1
    else:
        assert response.status_code == (404 if persona == "worker_b" else 403), response.content
        assert Dispute.objects.count() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_dispute_and_the_statistics(as_user, dispute, persona):
    client = as_user(persona)
    detail = client.get(f"/api/v1/disputes/{dispute.pk}")
    listed = client.get("/api/v1/disputes")
    stats = client.get("/api/v1/disputes/stats")
    if persona in SEES_DISPUTE:
        assert detail.status_code == 200 and dispute.pk in [d["id"] for d in listed.json()["items"]]
        assert detail.json()["parties"][0]["phone"] == "138****5678"
        assert stats.status_code == 200 and stats.json()["total"]["registered"] >= 1
    elif persona in READERS:
        assert detail.status_code == 404 and dispute.pk not in [d["id"] for d in listed.json()["items"]]
        assert stats.status_code == 200
    else:
        assert detail.status_code == 404 and listed.status_code == 403 and stats.status_code == 403


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", ["mediation step", "dispute action"])
def test_who_may_mediate(as_user, dispute, grid_a, persona, operation):
    before = _snapshot(dispute)
    response = _send(as_user(persona), _request(operation, dispute, grid_a))
    if persona in MEDIATORS - {"worker_b"}:
        assert response.status_code == 200, response.content
        assert _snapshot(dispute)[2] == ("mediating" if operation == "mediation step" else "failed")
    else:
        assert response.status_code == (403 if persona == "leader" else 404), response.content
        assert _snapshot(dispute) == before
