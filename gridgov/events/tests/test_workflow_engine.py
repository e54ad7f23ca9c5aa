"""The one gatekeeper (gridgov/common/workflow.py) as its two users meet it: cases and disputes. Each refusal changes
nothing — no status, no version, no transition row, no audit row — and says why; a move that passes writes the
status, the transition row, the audit row and the new version together, or nothing at all."""

import pytest

from gridgov.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.common.models import AuditLog
from gridgov.common.workflow import SYSTEM, Move, Workflow, allowed, move, plan, transitions
from gridgov.disputes import services as dispute_services
from gridgov.disputes import workflow as dispute_workflow
from gridgov.disputes.choices import DisputeStatus
from gridgov.disputes.models import Dispute, DisputeTransition
from gridgov.events import workflow as event_workflow
from gridgov.events.models import Event, Transition
from gridgov.events.services import Report, event_report, event_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(user, grid_a):
    """A case dispatched automatically to the street's sanitation office (lead) and cleaning office (assisting)."""
    return event_report(actor=user("worker_a"), report=Report(
        category_code="0301", description="引擎测试：积存垃圾", lon=grid_a.centroid_lon, lat=grid_a.centroid_lat,
        photo_count=1))


@pytest.fixture
def dispute(user, grid_a):
    return dispute_services.dispute_register(
        actor=user("worker_a"), kind="neighbour", summary="引擎测试：楼上漏水", grid_id=grid_a.pk,
        parties=[dispute_services.PartyIn(role="applicant", name="张三")])[0]


def _trace(model, transition_model, obj) -> tuple:
    """Everything a move writes: status, version, transition rows, audit rows."""
    fresh = model.objects.get(pk=obj.pk)
    audits = AuditLog.objects.filter(object_type=model._meta.label_lower, object_id=str(obj.pk)).count()
    rows = transition_model.objects.filter(**{model._meta.model_name: obj}).count()
    return fresh.status, fresh.version, rows, audits


def _lead_handler(case):
    from gridgov.accounts.models import User

    return User.objects.filter(department=case.lead_department, role="dept_handler").first()


# --- cases ---------------------------------------------------------------------------------------------------------
def test_case_stale_version_is_409_with_the_current_state_and_changes_nothing(case, user):
    dispatcher = user("street_dispatcher")
    event_transition(actor=dispatcher, event_id=case.pk, action="supervise", version=case.version)
    before = _trace(Event, Transition, case)
    with pytest.raises(Conflict) as err:
        event_transition(actor=dispatcher, event_id=case.pk, action="cancel", version=case.version, reason="重复")
    assert err.value.status == 409
    assert err.value.details == [{"status": "dispatched", "version": case.version + 1}]
    assert "已派遣" in str(err.value.message) and str(case.version + 1) in str(err.value.message)
    assert _trace(Event, Transition, case) == before


def test_case_illegal_move_lists_the_allowed_ones_and_changes_nothing(case, user):
    before = _trace(Event, Transition, case)
    with pytest.raises(ValidationFailed) as err:
        event_transition(actor=user("street_dispatcher"), event_id=case.pk, action="archive", version=None)
    assert err.value.code == "illegal_move" and err.value.field == "action"
    assert [d["action"] for d in err.value.details] == ["cancel", "approve_extension", "supervise"]
    assert all(d["label"] in str(err.value.message) for d in err.value.details)
    assert _trace(Event, Transition, case) == before


def test_case_unknown_and_system_moves_are_refused_with_the_allowed_ones(case, user):
    for action in ("fly", "auto_dispatch", "self_resolve"):
        with pytest.raises(ValidationFailed) as err:
            event_transition(actor=user("street_dispatcher"), event_id=case.pk, action=action, version=None)
        assert err.value.field == "action" and err.value.code == "invalid"
        assert "supervise" in [d["action"] for d in err.value.details]


def test_case_out_of_scope_is_404_and_wrong_role_403(case, user):
    before = _trace(Event, Transition, case)
    with pytest.raises(NotFound):
        event_transition(actor=user("worker_b"), event_id=case.pk, action="supervise", version=None)
    with pytest.raises(NotFound):
        event_transition(actor=user("street_dispatcher"), event_id=10**9, action="supervise", version=None)
    with pytest.raises(PermissionDenied):
        event_transition(actor=user("worker_a"), event_id=case.pk, action="cancel", version=None, reason="x")
    assert _trace(Event, Transition, case) == before


def test_a_move_writes_status_transition_audit_and_version_together(case, user):
    handler = _lead_handler(case)
    status, version, rows, audits = _trace(Event, Transition, case)
    moved = event_transition(actor=handler, event_id=case.pk, action="sign", version=version)
    assert _trace(Event, Transition, case) == ("handling", version + 1, rows + 1, audits + 1)
    last = moved.transitions.last()
    assert (last.action, last.from_status, last.to_status, last.actor_id) == ("sign", "dispatched", "handling",
                                                                             handler.pk)
    audit = AuditLog.objects.filter(object_id=str(case.pk)).latest("id")
    assert audit.action == "event.sign" and audit.detail == {"from": "dispatched", "to": "handling"}


def test_an_effect_that_refuses_rolls_the_whole_move_back(case, user):
    handler = _lead_handler(case)
    event_transition(actor=handler, event_id=case.pk, action="sign", version=None)
    before = _trace(Event, Transition, case)
    with pytest.raises(ValidationFailed) as err:  # 积存垃圾 needs a photo of the result
        event_transition(actor=handler, event_id=case.pk, action="feedback", version=None, reason="已清运")
    assert err.value.field == "photos"
    assert _trace(Event, Transition, case) == before
    assert not case.assignments.filter(reported_at__isnull=False).exists()  # the part was not recorded either


def test_intake_plans_its_first_status_and_automatic_moves_from_the_table(case, user):
    assert list(case.transitions.values_list("action", "from_status", "to_status", "actor_name")) == [
        ("report", "", "reported", "worker_a"), ("auto_dispatch", "reported", "dispatched", SYSTEM)]
    planned = plan(event_workflow.FLOW, actor=user("worker_a"), then=[("reject", {}, "重复")])
    assert planned.status == "rejected" and [t.pk for t in planned.transitions] == [None, None]
    for wrong in ("dispatch", "verify", "no_such_move"):  # people's moves, or not possible from the status reached
        with pytest.raises(ValueError):
            plan(event_workflow.FLOW, actor=None, then=[(wrong, {}, "")])
    with pytest.raises(ValueError):  # self_resolve is automatic but not after a rejection
        plan(event_workflow.FLOW, actor=None, then=[("reject", {}, ""), ("self_resolve", {}, "")])


def test_the_state_machine_is_derived_from_the_table():
    machine = transitions(event_workflow.FLOW)
    assert machine["closed"] == {"rated", "unsatisfied", "archived"}
    assert machine["unsatisfied"] == {"handling", "rated"}
    assert "handled" in machine["handling"] and "handling" in machine["handling"]  # supervise keeps the status
    assert transitions(dispute_workflow.FLOW)["failed"] == {"mediating", "escalated", "closed"}


def test_an_effect_may_only_choose_a_status_the_table_names(case, user):
    """The engine holds effects to the table: a status outside ``target`` and ``branches`` is a programming error
    and rolls back."""
    flow = Workflow(model=Event, prefix="event", moves={
        "bend": Move(frozenset({"dispatched"}), "handling", frozenset({"dispatcher"}), "bend",
                     branches=frozenset({"handled"}))},
        effects={"bend": lambda event, *, data, **kw: data["to"]}, record=event_workflow.record, messages=event_workflow.FLOW.messages)
    dispatcher = user("street_dispatcher")
    with pytest.raises(ValueError):
        move(flow, actor=dispatcher, pk=case.pk, action="bend", version=None, data={"to": "archived"})
    assert Event.objects.get(pk=case.pk).status == "dispatched"
    moved = move(flow, actor=dispatcher, pk=case.pk, action="bend", version=None, data={"to": "handled"})
    assert moved.status == "handled"


def test_may_act_is_asked_by_the_gatekeeper_and_by_the_list_of_allowed_moves(case, user):
    refusals = []

    def may_act(event, actor, action):
        if action == "supervise":
            refusals.append(action)
            raise PermissionDenied("not today")

    flow = Workflow(model=Event, prefix="event", moves=event_workflow.ACTIONS, effects=event_workflow.EFFECTS,
                    may_act=may_act, record=event_workflow.record,
                    messages=event_workflow.FLOW.messages)
    dispatcher = user("street_dispatcher")
    assert "supervise" not in [a["action"] for a in allowed(flow, case, dispatcher)]
    with pytest.raises(PermissionDenied):
        move(flow, actor=dispatcher, pk=case.pk, action="supervise", version=None)
    assert refusals == ["supervise", "supervise"] and not Event.objects.get(pk=case.pk).supervised


# --- disputes ------------------------------------------------------------------------------------------------------
def test_dispute_stale_version_is_409_and_changes_nothing(dispute, user):
    dispute_services.dispute_step_add(actor=user("gridleader"), dispute_id=dispute.pk, kind="talk", note="先谈",
                                      version=dispute.version)
    before = _trace(Dispute, DisputeTransition, dispute)
    with pytest.raises(Conflict) as err:
        dispute_services.dispute_transition(actor=user("worker_a"), dispute_id=dispute.pk, action="fail",
                                            version=dispute.version, reason="调解不成")
    assert err.value.details == [{"status": "mediating", "version": dispute.version + 1}]
    assert _trace(Dispute, DisputeTransition, dispute) == before


def test_dispute_illegal_move_lists_the_allowed_ones_and_changes_nothing(dispute, user):
    worker = user("worker_a")
    dispute = dispute_services.dispute_settle(actor=worker, dispute_id=dispute.pk, version=dispute.version,
                                              agreement="赔偿维修费")
    before = _trace(Dispute, DisputeTransition, dispute)
    with pytest.raises(ValidationFailed) as err:
        dispute_services.dispute_transition(actor=worker, dispute_id=dispute.pk, action="fail", version=None,
                                            reason="反悔")
    assert err.value.code == "illegal_move" and [d["action"] for d in err.value.details] == ["follow_up"]
    assert _trace(Dispute, DisputeTransition, dispute) == before


def test_dispute_registration_is_planned_and_a_step_records_no_status_change(dispute, user):
    assert list(dispute.transitions.values_list("action", "from_status", "to_status")) == [
        ("register", "", DisputeStatus.REGISTERED)]
    worker = user("worker_a")
    d = dispute_services.dispute_step_add(actor=worker, dispute_id=dispute.pk, kind="talk", note="第一次")
    d = dispute_services.dispute_step_add(actor=worker, dispute_id=d.pk, kind="joint", note="第二次")
    assert [t.to_status for t in d.transitions.all()] == ["registered", "mediating"]  # the second step: no row
    assert AuditLog.objects.filter(object_id=str(d.pk), action="dispute.step").count() == 2 and d.version == 3


def test_only_the_system_takes_automatic_moves():
    assert all(m.automatic for m in (event_workflow.ACTIONS["auto_dispatch"], event_workflow.ACTIONS["self_resolve"]))
    assert not event_workflow.ACTIONS["reject"].automatic  # people reject too; intake rejects duplicates
