"""Out-of-range integers — 2**63, -1, 0 and 10**30 — in pages, page sizes, ids in paths, queries and bodies, and lists
of ids: each answers 422 (or 404 for an id in a path that cannot be one) with the documented error body, never a
5xx, and changes nothing. Before these bounds, 2**63 in ``page``, ``?parent=``, ``?worker=``, ``?person=`` or
``photos[]`` reached the database and answered 500 on SQLite."""

import json

import pytest
from django.test import Client

from gridgov.tests.api_contract import check_body

pytestmark = pytest.mark.django_db

VALUES = [2**63, -1, 0, 10**30]
N = object()  # where the value goes in a body
REPORT = {"category": "0401", "description": "越界测试", "lon": 113.9, "lat": 22.5}
PARTY = {"role": "applicant", "name": "张三"}
DISPUTE = {"kind": "neighbour", "summary": "越界测试", "grid": 1, "parties": [PARTY]}

CASES = [
    # (persona, method, url with {n}, JSON body with N, or "form:" + form fields)
    ("dispatcher", "get", "/api/v1/events?page={n}", None),
    ("dispatcher", "get", "/api/v1/events?page_size={n}", None),
    ("dispatcher", "get", "/api/v1/regions?page={n}", None),
    ("dispatcher", "get", "/api/v1/users?page={n}", None),
    ("community", "get", "/api/v1/registry/people?page={n}", None),
    ("worker_a", "get", "/api/v1/visits?page={n}", None),
    ("worker_a", "get", "/api/v1/disputes?page={n}", None),
    ("dispatcher", "get", "/api/v1/anomalies?page={n}", None),
    ("dispatcher", "get", "/api/v1/layers/base/grids?page={n}", None),
    ("dispatcher", "get", "/api/v1/events/{n}", None),
    ("dispatcher", "post", "/api/v1/events/{n}/actions/supervise", {}),
    ("dispatcher", "get", "/api/v1/regions/{n}", None),
    ("dispatcher", "get", "/api/v1/regions/{n}/history", None),
    ("sysadmin", "patch", "/api/v1/regions/{n}", {"effective_date": "2026-01-01"}),
    ("dispatcher", "get", "/api/v1/regions?parent={n}", None),
    ("dispatcher", "get", "/api/v1/regions/geojson?parent={n}", None),
    ("dispatcher", "get", "/api/v1/departments/{n}", None),
    ("worker_a", "post", "/api/v1/events", {**REPORT, "photos": [N]}),
    ("worker_a", "post", "/api/v1/events", {**REPORT, "after_photos": [N], "self_resolved": True}),
    ("dispatcher", "post", "/api/v1/events/1/actions/dispatch", {"lead_department": N}),
    ("dispatcher", "post", "/api/v1/events/1/actions/joint_dispatch", {"joint_departments": [N]}),
    ("dispatcher", "post", "/api/v1/events/1/actions/supervise", {"version": N}),
    ("worker_a", "post", "/api/v1/patrols/sessions/{n}/end", {}),
    ("dispatcher", "get", "/api/v1/patrols/sessions?worker={n}", None),
    ("dispatcher", "get", "/api/v1/patrols/days?worker={n}", None),
    ("dispatcher", "get", "/api/v1/patrols/track?worker={n}&day=2026-01-05", None),
    ("dispatcher", "get", "/api/v1/anomalies?worker={n}", None),
    ("dispatcher", "get", "/api/v1/anomalies/{n}", None),
    ("dispatcher", "post", "/api/v1/anomalies/{n}/review", {"decision": "dismiss", "note": "越界"}),
    ("community", "get", "/api/v1/registry/people/{n}", None),
    ("community", "patch", "/api/v1/registry/people/{n}", {"name": "x"}),
    ("community", "post", "/api/v1/registry/people/{n}/reveal", {"field": "phone", "reason": "越界测试越界测试"}),
    ("community", "post", "/api/v1/registry/people/{n}/tags", {"tag": "elderly_alone"}),
    ("community", "post", "/api/v1/registry/people", {"name": "越界", "id_number": "11010519491231002X",
                                                        "grid_id": N}),
    ("community", "post", "/api/v1/registry/units", {"name": "越界", "employees": N}),
    ("community", "post", "/api/v1/registry/organisations", {"name": "越界", "members": N}),
    ("community", "get", "/api/v1/registry/houses/{n}", None),
    ("community", "get", "/api/v1/registry/households/{n}", None),
    ("community", "get", "/api/v1/registry/units/{n}", None),
    ("community", "get", "/api/v1/registry/organisations/{n}", None),
    ("community", "get", "/api/v1/registry/imports/{n}", None),
    ("community", "get", "/api/v1/registry/imports/{n}/errors", None),
    ("worker_a", "get", "/api/v1/visits/{n}", None),
    ("worker_a", "get", "/api/v1/visits?person={n}", None),
    ("worker_a", "get", "/api/v1/visits?household={n}", None),
    ("dispatcher", "get", "/api/v1/visits/overdue?worker={n}", None),
    ("worker_a", "post", "/api/v1/visits", "form:household"),
    ("worker_a", "get", "/api/v1/disputes/{n}", None),
    ("worker_a", "get", "/api/v1/disputes?grid={n}", None),
    ("worker_a", "post", "/api/v1/disputes", {**DISPUTE, "grid": N}),
    ("worker_a", "post", "/api/v1/disputes", {**DISPUTE, "parties": [{**PARTY, "person": N}]}),
    ("worker_a", "post", "/api/v1/disputes/{n}/steps", {"note": "越界"}),
    ("worker_a", "post", "/api/v1/disputes/1/actions/settle", {"version": N, "agreement": "x"}),
    ("sysadmin", "post", "/api/v1/regions", {"code": "X1", "name": "越界", "level": "grid", "households": N}),
]
IDS = [f"{method} {url} {body if isinstance(body, str) else ''}".strip() for _p, method, url, body in CASES]


def _fill(body, n):
    if body is N:
        return n
    if isinstance(body, dict):
        return {k: _fill(v, n) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, n) for v in body]
    return body


def _state():
    from gridgov.disputes.models import Dispute, MediationStep
    from gridgov.events.models import Event, Transition
    from gridgov.fieldwork.models import Anomaly, PatrolSession
    from gridgov.regions.models import Region
    from gridgov.registry.models import Organisation, Person, PersonTag, Unit
    from gridgov.visits.models import Visit

    models = (Event, Transition, Region, Person, PersonTag, Unit, Organisation, Visit, Dispute, MediationStep,
              PatrolSession)
    return [m.objects.count() for m in models] + [Anomaly.objects.filter(status="open").count()]


def _send(client: Client, method: str, url: str, body, n):
    if body is None:
        return getattr(client, method)(url)
    if isinstance(body, str) and body.startswith("form:"):
        return client.post(url, {body[5:]: str(n)})
    return getattr(client, method)(url, json.dumps(_fill(body, n)), content_type="application/json")


@pytest.mark.parametrize("n", VALUES, ids=["2**63", "-1", "0", "10**30"])
@pytest.mark.parametrize(("persona", "method", "url", "body"), CASES, ids=IDS)
def test_out_of_range_integers_are_refused_clearly(as_user, persona, method, url, body, n):
    client = as_user(persona)
    client.raise_request_exception = False  # count a crash as the 500 a client would see
    before = _state()
    target = url.format(n=n)
    response = _send(client, method, target, body, n)
    in_path = "{n}" in url.split("?")[0]
    assert response.status_code in ((404, 422) if in_path else (422,)), response.content
    check_body(method, target, response)
    assert _state() == before


def test_the_limits_are_named_in_the_users_language():
    from conftest import login_client

    response = login_client("dispatcher").get(f"/api/v1/regions?page={2**63}")
    assert response.json()["details"] == [{"field": "page", "message": "不能大于 100000。"}]
    response = login_client("worker_a").post("/api/v1/events", json.dumps({**REPORT, "photos": [2**31]}),
                                            content_type="application/json")
    assert response.json()["field"] == "photos.0"
    assert response.json()["details"] == [{"field": "photos.0", "message": "不能大于 2147483647。"}]


FAR_DATES = [
    ("dispatcher", "get", "/api/v1/patrols/misses?month=0000-01", None),
    ("dispatcher", "get", "/api/v1/patrols/days?month=9999-12", None),
    ("dispatcher", "get", "/api/v1/anomalies?month=9999-12", None),
    ("dispatcher", "get", "/api/v1/patrols/track?worker={worker}&day=0001-01-01", None),
    ("worker_a", "get", "/api/v1/disputes/stats?since=0001-01-01&until=9999-12-31", None),
    ("worker_a", "get", "/api/v1/disputes?since=0001-01-01", None),
    ("dispatcher", "get", "/api/v1/regions/geojson?as_of=9999-12-31", None),
    ("worker_a", "post", "/api/v1/events", {**REPORT, "occurred_at": "0001-01-01T00:00:00"}),
    ("worker_a", "post", "/api/v1/patrols/sessions", {"client_key": "far", "started_at": "0001-01-01T00:00:00+08:00"}),
    ("worker_a", "post", "/api/v1/disputes", {**DISPUTE, "occurred_at": "0001-01-01T00:00:00+14:00"}),
    ("community", "post", "/api/v1/registry/people", {"name": "越界", "id_type": "passport", "id_number": "E1",
                                                        "birth_date": "0001-01-01"}),
]


@pytest.mark.parametrize(("persona", "method", "url", "body"), FAR_DATES,
                         ids=[f"{m} {u}" for _p, m, u, _b in FAR_DATES])
def test_far_dates_are_refused_clearly(as_user, user, persona, method, url, body):
    """Year 1 or 9999 used to overflow time-zone or month arithmetic (500); now a 422 naming the field."""
    client = as_user(persona)
    client.raise_request_exception = False
    before = _state()
    target = url.format(worker=user("worker_a").pk)
    response = _send(client, method, target, body, 0)
    assert response.status_code == 422, response.content
    check_body(method, target, response)
    assert _state() == before


FUTURE = [
    ("worker_a", "post", "/api/v1/events", {**REPORT, "occurred_at": "2099-12-31T23:00:00+08:00"}),
    ("worker_a", "post", "/api/v1/events", {**REPORT, "occurred_at": "9999-12-31T23:59:59-12:00"}),
    ("worker_a", "post", "/api/v1/disputes", {**DISPUTE, "occurred_at": "2099-12-31T23:00:00+08:00"}),
]


@pytest.mark.parametrize(("persona", "method", "url", "body"), FUTURE, ids=[f"{u} {b['occurred_at']}" for
                                                                            _p, _m, u, b in FUTURE])
def test_a_case_cannot_have_happened_in_the_future(as_user, persona, method, url, body):
    """A case 'occurred' in 2099 was filed as such; year 9999 would overflow the time-zone arithmetic."""
    client = as_user(persona)
    client.raise_request_exception = False
    before = _state()
    response = _send(client, method, url, body, 0)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "occurred_at"
    check_body(method, url, response)
    assert _state() == before


def test_a_little_clock_skew_is_allowed_and_the_time_kept(as_user, user):
    import datetime as dt

    from django.utils import timezone

    from gridgov.events.models import Event

    grid = user("worker_a").grids.get()
    report = {**REPORT, "lon": grid.centroid_lon, "lat": grid.centroid_lat}
    soon = (timezone.now() + dt.timedelta(minutes=2)).isoformat()
    response = as_user("worker_a").post("/api/v1/events", json.dumps({**report, "occurred_at": soon}),
                                        content_type="application/json")
    assert response.status_code == 201, response.content
    assert Event.objects.get(pk=response.json()["id"]).occurred_at == dt.datetime.fromisoformat(soon)
    late = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    response = as_user("worker_a").post("/api/v1/events", json.dumps({**report, "occurred_at": late}),
                                        content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "field": "occurred_at", "message": "时间不能晚于当前时间。"}
