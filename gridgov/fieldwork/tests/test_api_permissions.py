"""The patrols API's permission matrix: anonymous 401 everywhere; who records, who reads whose patrols, who sees and
reviews anomalies; out of scope answers 404 like a record that does not exist."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from gridgov.fieldwork.models import Anomaly, GpsPoint, PatrolSession

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "upload points": ("POST", "/api/v1/patrols/points"),
    "start patrol": ("POST", "/api/v1/patrols/sessions"),
    "end patrol": ("POST", "/api/v1/patrols/sessions/{session_id}/end"),
    "patrol list": ("GET", "/api/v1/patrols/sessions"),
    "patrol days": ("GET", "/api/v1/patrols/days"),
    "track": ("GET", "/api/v1/patrols/track"),
    "schedules": ("GET", "/api/v1/patrols/schedules"),
    "misses": ("GET", "/api/v1/patrols/misses"),
    "anomaly list": ("GET", "/api/v1/anomalies"),
    "anomaly detail": ("GET", "/api/v1/anomalies/{anomaly_id}"),
    "anomaly review": ("POST", "/api/v1/anomalies/{anomaly_id}/review"),
}
PERSONAS = ["worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "leader",
            "police", "hotline", "sysadmin", "secadmin", "auditadmin"]
RECORDERS = {"worker_a", "worker_b", "gridleader"}
READERS = RECORDERS | {"community", "street_dispatcher", "dispatcher", "leader"}
SEES_WORKER_A = {"worker_a", "gridleader", "community", "street_dispatcher", "dispatcher", "leader"}
SEES_ANOMALIES = {"gridleader", "community", "street_dispatcher", "dispatcher", "leader"}
REVIEWERS = {"community", "street_dispatcher", "dispatcher"}


@pytest.fixture
def ctx(db):
    from gridgov.accounts.models import User

    worker = User.objects.get(username="worker_a")
    grid = worker.grids.get()
    session = PatrolSession.objects.create(worker=worker, client_key="matrix", started_at=timezone.now())
    anomaly = Anomaly.objects.create(kind="outside_grid", worker=worker, day=dt.date(2026, 1, 5),
                                     region_path=grid.path, score=0.8, evidence={"outside_share": 0.8})
    return {"worker": worker, "grid": grid, "session": session, "anomaly": anomaly,
            "day": timezone.localdate() - dt.timedelta(days=2)}


def _request(operation, c):
    now_ms = int(timezone.now().timestamp() * 1000)
    return {
        "upload points": ("post", "/api/v1/patrols/points", {"points": [
            {"t": now_ms - 60_000, "lon": c["grid"].centroid_lon, "lat": c["grid"].centroid_lat}]}),
        "start patrol": ("post", "/api/v1/patrols/sessions", {"client_key": "matrix-new"}),
        "end patrol": ("post", f"/api/v1/patrols/sessions/{c['session'].pk}/end", {}),
        "patrol list": ("get", "/api/v1/patrols/sessions", None),
        "patrol days": ("get", "/api/v1/patrols/days", None),
        "track": ("get", f"/api/v1/patrols/track?worker={c['worker'].pk}&day={c['day'].isoformat()}", None),
        "schedules": ("get", "/api/v1/patrols/schedules", None),
        "misses": ("get", "/api/v1/patrols/misses", None),
        "anomaly list": ("get", "/api/v1/anomalies", None),
        "anomaly detail": ("get", f"/api/v1/anomalies/{c['anomaly'].pk}", None),
        "anomaly review": ("post", f"/api/v1/anomalies/{c['anomaly'].pk}/review",
                           {"decision": "confirm", "note": "核实属实"}),
    }[operation]


def _send(client, request):
    method, url, payload = request
    if payload is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


def _snapshot(c):
    c["anomaly"].refresh_from_db()
    c["session"].refresh_from_db()
    return (GpsPoint.objects.count(), PatrolSession.objects.count(), c["session"].ended_at, c["anomaly"].status)


def test_every_operation_has_a_request(ctx):
    assert all(_request(name, ctx) for name in OPERATIONS)


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_anonymous_gets_401_and_nothing_changes(as_user, ctx, operation):
    before = _snapshot(ctx)
    response = _send(as_user("anonymous"), _request(operation, ctx))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert _snapshot(ctx) == before


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", ["upload points", "start patrol"])
def test_who_records_patrols(as_user, ctx, persona, operation):
    before = _snapshot(ctx)
    response = _send(as_user(persona), _request(operation, ctx))
    if persona in RECORDERS:
        assert response.status_code in (200, 201), response.content
        assert _snapshot(ctx) != before
    else:
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert _snapshot(ctx) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_worker_ends_their_patrol(as_user, ctx, persona):
    response = _send(as_user(persona), _request("end patrol", ctx))
    ctx["session"].refresh_from_db()
    if persona == "worker_a":
        assert response.status_code == 200 and ctx["session"].ended_at
    else:
        assert response.status_code == (404 if persona in RECORDERS else 403)
        assert ctx["session"].ended_at is None


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", ["patrol list", "patrol days", "schedules", "misses"])
def test_who_reads_patrols(as_user, ctx, persona, operation):
    response = _send(as_user(persona), _request(operation, ctx))
    assert response.status_code == (200 if persona in READERS else 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_worker_a_patrols(as_user, ctx, persona):
    client = as_user(persona)
    track = _send(client, _request("track", ctx))
    if persona not in READERS:
        assert track.status_code == 403
        return
    days = client.get("/api/v1/patrols/days?page_size=100").json()["items"]
    sessions = client.get("/api/v1/patrols/sessions?page_size=100").json()["items"]
    misses = client.get("/api/v1/patrols/misses").json()["rows"]
    worker_id = ctx["worker"].pk
    if persona in SEES_WORKER_A:
        assert track.status_code == 200 and len(track.json()["points"]) > 0  # the demo walked there that day
        assert any(d["worker"] == worker_id for d in days)
        assert any(s["worker"] == worker_id for s in sessions)
        assert any(m["worker"]["id"] == worker_id for m in misses)
    else:
        assert track.status_code == 404
        assert not any(d["worker"] == worker_id for d in days)
        assert not any(s["worker"] == worker_id for s in sessions)
        assert not any(m["worker"]["id"] == worker_id for m in misses)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_anomaly(as_user, ctx, persona):
    client = as_user(persona)
    detail = _send(client, _request("anomaly detail", ctx))
    listed = client.get("/api/v1/anomalies?page_size=100")
    if persona in SEES_ANOMALIES:
        assert detail.status_code == 200 and detail.json()["evidence"] == {"outside_share": 0.8}
        assert ctx["anomaly"].pk in [a["id"] for a in listed.json()["items"]]
    else:
        assert detail.status_code == 403 and listed.status_code == 403


def test_an_anomaly_outside_the_area_is_404(as_user, ctx):
    from gridgov.accounts.models import User

    worker_b = User.objects.get(username="worker_b")
    other = Anomaly.objects.create(kind="no_movement", worker=worker_b, day=dt.date(2026, 1, 6),
                                   region_path=worker_b.grids.get().path, evidence={})
    community = as_user("community")  # community 1: grid B lies in another community
    assert community.get(f"/api/v1/anomalies/{other.pk}").status_code == 404
    assert other.pk not in [a["id"] for a in community.get("/api/v1/anomalies?page_size=100").json()["items"]]
    assert as_user("street_dispatcher").get(f"/api/v1/anomalies/{other.pk}").status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reviews_anomalies(as_user, ctx, persona):
    from gridgov.common.models import AuditLog

    before = AuditLog.objects.filter(action="anomaly.confirm").count()
    response = _send(as_user(persona), _request("anomaly review", ctx))
    ctx["anomaly"].refresh_from_db()
    if persona in REVIEWERS:
        assert response.status_code == 200 and ctx["anomaly"].status == "confirmed"
        assert ctx["anomaly"].reviewed_by.username == persona and ctx["anomaly"].review_note == "核实属实"
        assert AuditLog.objects.filter(action="anomaly.confirm").count() == before + 1
    else:
        assert response.status_code == 403 and ctx["anomaly"].status == "open"


def test_a_review_goes_through_the_one_gatekeeper_stale_versions_and_second_reviews_are_refused(as_user, ctx):
    """Two reviewers at once: the one with the version they saw wins, the other gets 409 with the current state;
    a review of an anomaly already reviewed is an illegal move (nothing is allowed from confirmed)."""
    from gridgov.common.models import AuditLog

    anomaly = ctx["anomaly"]
    url = f"/api/v1/anomalies/{anomaly.pk}/review"
    seen = as_user("dispatcher").get(f"/api/v1/anomalies/{anomaly.pk}").json()["version"]
    first = as_user("dispatcher").post(url, data={"decision": "confirm", "note": "核实属实", "version": seen},
                                       content_type="application/json")
    assert first.status_code == 200 and first.json()["status"] == "confirmed"
    assert first.json()["version"] == seen + 1
    stale = as_user("community").post(url, data={"decision": "dismiss", "note": "误报", "version": seen},
                                      content_type="application/json")
    assert stale.status_code == 409 and stale.json()["details"][0]["status"] == "confirmed"
    again = as_user("community").post(url, data={"decision": "dismiss", "note": "误报"},
                                      content_type="application/json")
    assert again.status_code == 422 and again.json()["code"] == "illegal_move"
    anomaly.refresh_from_db()
    assert anomaly.status == "confirmed" and anomaly.review_note == "核实属实"
    assert AuditLog.objects.filter(action="anomaly.confirm", object_id=str(anomaly.pk)).count() == 1
