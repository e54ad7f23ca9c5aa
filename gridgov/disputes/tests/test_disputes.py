"""Disputes: registration with parties (phones encrypted and masked), the moves legal/illegal/stale, escalation into
a linked event, and the statistics of 排查 and 化解."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.common.errors import NotFound, PermissionDenied, ValidationFailed
from gridgov.common.models import AuditLog
from gridgov.disputes import selectors, services
from gridgov.disputes.choices import DisputeStatus as S
from gridgov.disputes.models import (
    Dispute,
    DisputeParty,
    DisputeTransition,
    MediationStep,
)
from gridgov.disputes.services import PartyIn
from gridgov.events.models import Event
from gridgov.visits.tests import factories as f

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


@pytest.fixture
def grid_a(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_a").grids.get()


@pytest.fixture
def grid_b(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_b").grids.get()


def register(actor, grid, **kw):
    kw.setdefault("parties", [PartyIn(role="applicant", name="张三", phone=PHONE),
                              PartyIn(role="respondent", name="李四")])
    return services.dispute_register(actor=actor, kind=kw.pop("kind", "neighbour"),
                                     summary=kw.pop("summary", "楼上漏水纠纷"), grid_id=grid.pk, **kw)[0]


def _json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


# --- registration ---------------------------------------------------------------------------------------------------
def test_register_over_the_api_numbers_masks_and_encrypts(as_user, grid_a):
    person = f.person(grid_a, "张三")
    response = _json(as_user("worker_a"), "/api/v1/disputes", {
        "kind": "neighbour", "summary": "噪音扰民", "grid": grid_a.pk, "client_key": "d-1",
        "parties": [{"role": "applicant", "name": "张三", "phone": PHONE, "person": person.pk},
                    {"role": "respondent", "name": "王五"}]})
    assert response.status_code == 201, response.content
    body = response.json()
    today = timezone.localdate()
    assert body["number"] == f"JF{today:%Y%m%d}{body['id']:08d}" and body["status"] == "registered"
    assert body["parties"][0]["phone"] == "138****5678" and PHONE not in response.content.decode()
    assert body["parties"][0]["person"] == person.pk
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {DisputeParty._meta.db_table} WHERE dispute_id = %s", [body["id"]])
        stored = [row[0] for row in cursor.fetchall()]
    assert stored[0] and PHONE not in stored[0]  # encrypted at rest
    assert AuditLog.objects.filter(action="dispute.register", object_id=str(body["id"])).exists()
    again = _json(as_user("worker_a"), "/api/v1/disputes", {
        "kind": "neighbour", "summary": "噪音扰民", "grid": grid_a.pk, "client_key": "d-1",
        "parties": [{"role": "applicant", "name": "张三"}]})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Dispute.objects.filter(client_key="d-1").count() == 1


def test_register_refuses_a_grid_or_person_outside_the_area(user, grid_a, grid_b):
    worker = user("worker_a")
    before = Dispute.objects.count()
    with pytest.raises(NotFound):
        register(worker, grid_b)
    outsider = f.person(grid_b)
    with pytest.raises(NotFound) as err:
        register(worker, grid_a, parties=[PartyIn(role="applicant", name="x", person_id=outsider.pk)])
    assert err.value.field == "parties.0.person"
    with pytest.raises(ValidationFailed) as err:
        register(worker, grid_a, parties=[PartyIn(role="applicant", name="x", phone="call me")])
    assert err.value.field == "parties.0.phone"
    with pytest.raises(ValidationFailed):
        register(worker, grid_a, parties=[])
    with pytest.raises(PermissionDenied):
        register(user("leader"), grid_a)
    assert Dispute.objects.count() == before


# --- the moves ------------------------------------------------------------------------------------------------------
def test_the_whole_way_register_mediate_settle_follow_up(user, grid_a):
    worker = user("worker_a")
    d = register(worker, grid_a)
    d = services.dispute_step_add(actor=worker, dispute_id=d.pk, kind="talk", note="分别谈话", version=d.version)
    assert d.status == S.MEDIATING and d.version == 2
    d = services.dispute_step_add(actor=worker, dispute_id=d.pk, kind="joint", note="联合调解")
    assert d.status == S.MEDIATING and d.version == 3
    d = services.dispute_settle(actor=worker, dispute_id=d.pk, version=3, agreement="楼上赔偿维修费800元",
                                follow_up_due=timezone.localdate() + dt.timedelta(days=30))
    assert d.status == S.SETTLED and d.settled_at and d.agreement.startswith("楼上")
    d = services.dispute_follow_up(actor=worker, dispute_id=d.pk, version=d.version, note="已履行，双方满意")
    assert d.status == S.CLOSED and d.followed_up_at
    assert [t.to_status for t in DisputeTransition.objects.filter(dispute=d)] == [
        S.REGISTERED, S.MEDIATING, S.SETTLED, S.CLOSED]
    assert list(MediationStep.objects.filter(dispute=d).values_list("kind", flat=True)) == [
        "talk", "joint", "agreement", "follow_up"]
    actions = set(AuditLog.objects.filter(object_type="disputes.dispute", object_id=str(d.pk))
                  .values_list("action", flat=True))
    assert actions == {"dispute.register", "dispute.step", "dispute.settle", "dispute.follow_up"}


def test_an_illegal_move_lists_the_allowed_ones_and_changes_nothing(as_user, user, grid_a):
    worker = user("worker_a")
    d = register(worker, grid_a)
    d = services.dispute_settle(actor=worker, dispute_id=d.pk, version=d.version, agreement="达成协议")
    response = _json(as_user("worker_a"), f"/api/v1/disputes/{d.pk}/actions/escalate",
                     {"version": d.version, "reason": "想升级"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "illegal_move" and [m["action"] for m in body["details"]] == ["follow_up"]
    d.refresh_from_db()
    assert d.status == S.SETTLED and d.event_id is None and not Event.objects.filter(external_id=d.number).exists()


def test_a_stale_version_gets_409_with_the_current_state(as_user, user, grid_a):
    worker = user("worker_a")
    d = register(worker, grid_a)
    services.dispute_step_add(actor=user("gridleader"), dispute_id=d.pk, kind="talk", note="网格长先谈了")
    response = _json(as_user("worker_a"), f"/api/v1/disputes/{d.pk}/actions/fail",
                     {"version": 1, "reason": "调解不成"})
    assert response.status_code == 409
    assert response.json()["details"] == [{"status": "mediating", "version": 2}]
    d.refresh_from_db()
    assert d.status == S.MEDIATING and d.outcome == ""


def test_a_failed_dispute_may_be_mediated_again_and_settle_needs_an_agreement(user, grid_a):
    worker = user("worker_a")
    d = register(worker, grid_a)
    d = services.dispute_fail(actor=worker, dispute_id=d.pk, version=d.version, reason="双方分歧大")
    assert d.status == S.FAILED and d.outcome == "双方分歧大"
    d = services.dispute_step_add(actor=worker, dispute_id=d.pk, kind="legal", note="请律师解释法律")
    assert d.status == S.MEDIATING
    with pytest.raises(ValidationFailed) as err:
        services.dispute_settle(actor=worker, dispute_id=d.pk, version=d.version, agreement="  ")
    assert err.value.field == "agreement"
    with pytest.raises(ValidationFailed) as err:
        services.dispute_fail(actor=worker, dispute_id=d.pk, version=d.version, reason="")
    assert err.value.field == "reason"
    d.refresh_from_db()
    assert d.status == S.MEDIATING and d.settled_at is None


def test_out_of_scope_and_read_only_roles(user, grid_a):
    d = register(user("worker_a"), grid_a)
    with pytest.raises(NotFound):
        services.dispute_fail(actor=user("worker_b"), dispute_id=d.pk, version=None, reason="x")
    with pytest.raises(PermissionDenied):
        services.dispute_fail(actor=user("leader"), dispute_id=d.pk, version=None, reason="x")
    d.refresh_from_db()
    assert d.status == S.REGISTERED and d.version == 1


# --- escalation -----------------------------------------------------------------------------------------------------
def test_escalation_reports_a_linked_event_of_class_04(as_user, user, grid_a):
    worker = user("worker_a")
    d = register(worker, grid_a, kind="labour", summary="拖欠工资纠纷")
    response = _json(as_user("worker_a"), f"/api/v1/disputes/{d.pk}/actions/escalate",
                     {"version": d.version, "reason": "涉及人数多，网格无法化解", "category": "0402"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "escalated" and body["event"]
    event = Event.objects.get(pk=body["event"]["id"])
    assert event.category.code == "0402" and event.external_id == d.number
    assert event.region_path.startswith(grid_a.path) and d.number in event.description
    assert "138" not in event.description  # no phone numbers in the case
    assert event.reporter.username == "worker_a" and event.transitions.exists()
    assert as_user("worker_a").get(f"/api/v1/events/{event.pk}").status_code == 200
    d.refresh_from_db()
    assert d.event_id == event.pk and d.status == S.ESCALATED
    assert AuditLog.objects.filter(action="dispute.escalate", object_id=str(d.pk)).exists()


def test_escalation_with_an_unknown_category_writes_nothing(user, grid_a):
    worker = user("worker_a")
    d = register(worker, grid_a)
    before = Event.objects.count()
    with pytest.raises(ValidationFailed) as err:
        services.dispute_escalate(actor=worker, dispute_id=d.pk, version=d.version, reason="x", category="0101")
    assert err.value.field == "category" and Event.objects.count() == before
    d.refresh_from_db()
    assert d.status == S.REGISTERED


# --- statistics -----------------------------------------------------------------------------------------------------
def _counts(stats) -> dict:
    """(registered, settled) per region id and per (region id, kind), and the total."""
    out = {"total": (stats["total"]["registered"], stats["total"]["settled"])}
    for r in stats["regions"]:
        out[r["region"]["id"]] = (r["registered"], r["settled"])
        for k in r["by_kind"]:
            out[(r["region"]["id"], k["kind"])] = (k["registered"], k["settled"])
    return out


def _delta(after: dict, before: dict) -> dict:
    return {key: (a[0] - before.get(key, (0, 0))[0], a[1] - before.get(key, (0, 0))[1])
            for key, a in after.items() if a != before.get(key, (0, 0))}


def test_statistics_per_region_and_kind(as_user, user, grid_a, grid_b):
    """The demo already holds disputes: the test counts what it adds (and the rate on a fresh period)."""
    worker_a, worker_b, dispatcher = user("worker_a"), user("worker_b"), user("dispatcher")
    today = timezone.localdate()
    since = today - dt.timedelta(days=7)
    before = _counts(selectors.dispute_stats(user=dispatcher, level="grid", since=since, until=today))
    settled = [register(worker_a, grid_a, kind="neighbour") for _ in range(3)]
    for d in settled[:2]:
        services.dispute_settle(actor=worker_a, dispute_id=d.pk, version=None, agreement="协议")
    labour = register(worker_a, grid_a, kind="labour")
    services.dispute_fail(actor=worker_a, dispute_id=labour.pk, version=None, reason="不成")
    other = register(worker_b, grid_b, kind="family")
    services.dispute_settle(actor=worker_b, dispute_id=other.pk, version=None, agreement="和好")
    old = register(worker_a, grid_a, kind="neighbour")  # registered last year: outside the period
    Dispute.objects.filter(pk=old.pk).update(registered_at=timezone.now() - dt.timedelta(days=400))

    after = _counts(selectors.dispute_stats(user=dispatcher, level="grid", since=since, until=today))
    assert _delta(after, before) == {
        grid_a.pk: (4, 2), (grid_a.pk, "neighbour"): (3, 2), (grid_a.pk, "labour"): (1, 0),
        grid_b.pk: (1, 1), (grid_b.pk, "family"): (1, 1), "total": (5, 3)}

    # The rate on a period that holds only the test's disputes: the one registered 400 days ago, then settled.
    day = timezone.localtime(timezone.now() - dt.timedelta(days=400)).date()
    lonely = selectors.dispute_stats(user=dispatcher, level="grid", since=day, until=day)
    row = next(r for r in lonely["regions"] if r["region"]["id"] == grid_a.pk)
    assert (row["registered"], row["settled"], row["rate"]) == (1, 0, 0.0)
    services.dispute_settle(actor=worker_a, dispute_id=old.pk, version=None, agreement="补签协议")
    lonely = selectors.dispute_stats(user=dispatcher, level="grid", since=day, until=day)
    row = next(r for r in lonely["regions"] if r["region"]["id"] == grid_a.pk)
    assert (row["registered"], row["settled"], row["rate"]) == (1, 1, 100.0)
    assert row["by_kind"] == [{"kind": "neighbour", "label": row["by_kind"][0]["label"], "registered": 1,
                               "settled": 1, "rate": 100.0}]

    # Regions are those of the level inside the viewer's area.
    street = selectors.dispute_stats(user=user("street_dispatcher"), level="street", since=since, until=today)
    assert len(street["regions"]) == 1 and street["regions"][0]["registered"] == after["total"][0] - sum(
        v[0] for k, v in after.items() if isinstance(k, int) and k not in _street_grids(street))
    api = as_user("community").get(f"/api/v1/disputes/stats?level=grid&since={since}&until={today}")
    assert api.status_code == 200 and grid_b.pk not in [r["region"]["id"] for r in api.json()["regions"]]
    assert grid_a.pk in [r["region"]["id"] for r in api.json()["regions"]]
    assert as_user("community").get("/api/v1/disputes/stats?level=planet").status_code == 422


def _street_grids(street_stats) -> set:
    from gridgov.regions.models import Region

    code = street_stats["regions"][0]["region"]["code"]
    return set(Region.objects.filter(level="grid", code__startswith=code).values_list("pk", flat=True))


# --- pages ----------------------------------------------------------------------------------------------------------
def test_pages_register_act_and_show_the_timeline(as_user, grid_a):
    client = as_user("worker_a")
    assert client.get("/disputes/new/").status_code == 200
    response = client.post("/disputes/new/", {
        "kind": "neighbour", "grid": grid_a.pk, "summary": "占用楼道", "client_key": "page-1",
        "party_role_0": "applicant", "party_name_0": "赵六", "party_phone_0": PHONE,
        "party_role_1": "respondent", "party_name_1": "钱七"})
    assert response.status_code == 302
    d = Dispute.objects.get(client_key="page-1")
    detail = client.get(response["Location"])
    html = detail.content.decode()
    assert detail.status_code == 200 and "no-store" in detail["Cache-Control"]
    assert "138****5678" in html and PHONE not in html and 'data-action="escalate"' in html
    client.post(f"/disputes/{d.pk}/act/", {"action": "step", "kind": "talk", "note": "上门调解",
                                           "version": d.version})
    client.post(f"/disputes/{d.pk}/act/", {"action": "settle", "agreement": "清理楼道", "version": 1})  # stale
    d.refresh_from_db()
    assert d.status == S.MEDIATING
    html = client.get(f"/disputes/{d.pk}/").content.decode()
    assert "上门调解" in html
    listed = client.get("/disputes/?status=mediating").content.decode()
    assert d.number in listed
    assert as_user("worker_b").get(f"/disputes/{d.pk}/").status_code == 404
    assert client.get("/disputes/stats/").status_code == 200
