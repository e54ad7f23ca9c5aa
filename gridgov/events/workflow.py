"""The case workflow as data: every action, the statuses it starts from, where it leads, who may take it, and what
it does (its effect). The one gatekeeper that applies it is ``gridgov.common.workflow.move`` (read its docstring);
``services.event_transition`` hands every move to it, and intake (``services.event_file``) takes its first status
and automatic moves from ``plan``.

    reported ─accept→ accepted ─register→ registered ─dispatch→ dispatched ─sign→ handling ─feedback→ handled
       │ └─auto_dispatch (system)────────────────────────────────┘   │ └return→ returned ─dispatch┘     │
       └─reject / self_resolve (system) / cancel                      └────────────feedback─────────────┤
    handled ─verify→ closed ─rate→ rated ─archive→ archived                  handled ─rework→ handling ┘
                          └─rate (unsatisfied)→ unsatisfied ─reopen→ handling (the lead department again)
                                                     └─close_unsatisfied→ rated (closed with a reason)

Joint cases (网格吹哨、部门报到): the lead department signs for, returns, reports on and asks more time for the case;
an assisting department only signs for and reports on its own part (``sign_part``, ``report_part``: the status
stays; recorded on its ``Assignment``). ``may_act`` enforces it.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _  # labels and messages, translated when shown

from gridgov.common.calendar import deadline_after
from gridgov.common.errors import PermissionDenied, ValidationFailed, check_length
from gridgov.common.roles import Role
from gridgov.common.workflow import SYSTEM, Messages, Move, Workflow
from gridgov.events import (
    notifications,  # outbox: notices and 12345 callbacks (gridgov/events/notifications.py)
)
from gridgov.events.choices import RUNNING as _RUNNING
from gridgov.events.choices import PhotoKind, RejectReason, Satisfaction
from gridgov.events.choices import Status as S
from gridgov.events.models import Assignment, Event, Transition
from gridgov.events.routing import route_event

CITIZEN = "citizen"  # a citizen acting on their own case through its private link
DISPATCHING = frozenset({Role.DISPATCHER, Role.COMMUNITY_STAFF})  # 小事不出村: villages dispatch their own
HANDLING = frozenset({Role.DEPT_HANDLER})
VERIFYING = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER})
OPEN = frozenset({S.REPORTED, S.ACCEPTED, S.REGISTERED, S.DISPATCHED, S.HANDLING, S.RETURNED})
RUNNING = frozenset(_RUNNING)  # a department holds the case and the deadline runs

ACTIONS: dict[str, Move] = {
    "accept": Move(frozenset({S.REPORTED}), S.ACCEPTED, DISPATCHING, _("accept")),
    "reject": Move(frozenset({S.REPORTED}), S.REJECTED, DISPATCHING | {SYSTEM}, _("do not accept")),
    "register": Move(frozenset({S.ACCEPTED}), S.REGISTERED, DISPATCHING, _("register")),
    "dispatch": Move(frozenset({S.REGISTERED, S.RETURNED}), S.DISPATCHED, DISPATCHING, _("dispatch")),
    "auto_dispatch": Move(frozenset({S.REPORTED}), S.DISPATCHED, frozenset({SYSTEM}), _("dispatch automatically")),
    "self_resolve": Move(frozenset({S.REPORTED}), S.CLOSED, frozenset({SYSTEM}), _("solved on the spot")),
    "sign": Move(frozenset({S.DISPATCHED}), S.HANDLING, HANDLING, _("sign for")),
    "sign_part": Move(RUNNING, None, HANDLING, _("sign for our part")),
    "report_part": Move(RUNNING, None, HANDLING, _("report on our part")),
    "return": Move(RUNNING, S.RETURNED, HANDLING, _("return as misrouted")),
    "feedback": Move(RUNNING, S.HANDLED, HANDLING, _("report the result")),
    "verify": Move(frozenset({S.HANDLED}), S.CLOSED, VERIFYING, _("verify and close")),
    "rework": Move(frozenset({S.HANDLED}), S.HANDLING, VERIFYING, _("send back for rework")),
    "rate": Move(frozenset({S.CLOSED}), S.RATED, DISPATCHING | {Role.GRID_WORKER, CITIZEN},
                 _("record satisfaction"), branches=frozenset({S.UNSATISFIED})),
    "reopen": Move(frozenset({S.UNSATISFIED}), S.HANDLING, DISPATCHING, _("reopen for rework")),
    "close_unsatisfied": Move(frozenset({S.UNSATISFIED}), S.RATED, DISPATCHING, _("close with a reason")),
    "archive": Move(frozenset({S.CLOSED, S.RATED}), S.ARCHIVED, DISPATCHING, _("archive")),
    "cancel": Move(OPEN, S.CANCELLED, DISPATCHING, _("cancel")),
    "request_extension": Move(RUNNING, None, HANDLING, _("request an extension")),
    "approve_extension": Move(RUNNING, None, DISPATCHING, _("approve the extension")),
    "supervise": Move(frozenset({S.DISPATCHED, S.HANDLING, S.RETURNED}), None,
                      DISPATCHING | {Role.LEADER}, _("supervise")),
    "escalate": Move(frozenset({S.REPORTED, S.ACCEPTED, S.REGISTERED, S.RETURNED}), None, DISPATCHING,
                     _("escalate to the level above")),
}
# The moves a photo goes with, and what kind of photo it is: the result a department reports, the check a grid
# worker makes. Photos with any other move are refused (a "return" with a photo is no result to show the citizen).
PHOTO_KINDS = {"feedback": PhotoKind.AFTER, "report_part": PhotoKind.AFTER, "verify": PhotoKind.VERIFY,
               "rework": PhotoKind.VERIFY}
LEAD_MOVES = frozenset({"sign", "return", "feedback", "request_extension"})  # the case's own: lead department only
PART_MOVES = frozenset({"sign_part", "report_part"})  # an assisting department's own part


# --- hooks ---------------------------------------------------------------------------------------------------------
def holding(event: Event, actor) -> Assignment | None:
    """The actor's department's active assignment on the case (reads a prefetched ``assignments`` when there)."""
    return next((a for a in event.assignments.all() if a.active and a.department_id == actor.department_id), None)


def may_act(event: Event, actor, action: str) -> None:
    """Departments act only on cases they hold; the case's own moves are the lead's, the parts the assistants'."""
    if getattr(actor, "role", None) != Role.DEPT_HANDLER:
        return
    mine = holding(event, actor)
    if mine is None:
        raise PermissionDenied(_("This case is no longer with your department."))
    if action in LEAD_MOVES and not mine.is_lead:
        raise PermissionDenied(_("Only the lead department may %(action)s this case; your department assists: "
                                 "sign for and report on your own part.") % {"action": ACTIONS[action].label})
    if action in PART_MOVES:
        if mine.is_lead:
            raise PermissionDenied(_("The lead department signs for and reports on the whole case."))
        if action == "sign_part" and mine.signed_at:
            raise ValidationFailed(_("Your department has already signed for its part."), field="action",
                                   code="already_done")
        if action == "report_part" and mine.reported_at:
            raise ValidationFailed(_("Your department has already reported on its part."), field="action",
                                   code="already_done")


def actor_name(actor) -> str:
    return getattr(actor, "username", None) or SYSTEM


def build(*, action: str, from_status: str, to_status: str, actor, reason: str, data: dict) -> Transition:
    """An unsaved transition row (intake writes them in bulk)."""
    real = actor if getattr(actor, "is_authenticated", False) else None
    return Transition(action=action, from_status=from_status, to_status=to_status, reason=reason, actor=real,
                      actor_name=actor_name(actor), data=data)


def record(event: Event, *, action: str, from_status: str, actor, reason: str, data: dict) -> Transition:
    transition = build(action=action, from_status=from_status, to_status=event.status, actor=actor, reason=reason,
                       data=_public(data))
    transition.event = event
    transition.save(force_insert=True)
    notifications.enqueue_hotline_callback(event, transition)  # outbox: 12345 result callback (hotline cases only)
    return transition


def _public(data: dict) -> dict:
    return {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool, list)) or v is None}


# --- effects -------------------------------------------------------------------------------------------------------
def warn_at(start: dt.datetime, due: dt.datetime) -> dt.datetime:
    """About to expire once less than GRIDGOV_WARN_SHARE of the time allowed is left (derived, never a timer)."""
    return due - (due - start) * settings.GRIDGOV_WARN_SHARE


def _new_deadline(event: Event, now: dt.datetime) -> None:
    category = event.category
    deadline = deadline_after(now, category.time_limit, category.time_unit)
    event.deadline, event.deadline_estimated = deadline.due, deadline.estimated
    event.warn_at = warn_at(now, deadline.due)
    event.dispatched_at = now


def _need_reason(reason: str):
    if not reason.strip():
        raise ValidationFailed(_("Give a reason."), field="reason")


def _effect_reject(event, *, reason, data, **kw):
    value = data.get("reject_reason") or RejectReason.INVALID
    if value not in RejectReason.values:
        raise ValidationFailed(_("Unknown reason %(value)s.") % {"value": value}, field="reject_reason")
    _need_reason(reason)
    event.reject_reason = value


def _effect_dispatch(event, *, data, **kw):
    from gridgov.accounts.models import Department

    lead = data.get("lead_department")
    joint = data.get("joint_departments") or []
    if not lead:
        decision = route_event(category=event.category, grid_path=event.region_path)
        if not decision.automatic:
            raise ValidationFailed(decision.manual_reason, field="lead_department")
        lead, joint = decision.lead_id, decision.joint_ids
    known = set(Department.objects.filter(pk__in=[lead, *joint], is_active=True).values_list("pk", flat=True))
    missing = [d for d in [lead, *joint] if d not in known]
    if missing:
        raise ValidationFailed(_("Unknown departments: %(ids)s.") % {"ids": missing}, field="lead_department")
    _new_deadline(event, timezone.now())
    event.lead_department_id = lead
    Assignment.objects.filter(event=event, active=True).update(active=False)
    Assignment.objects.bulk_create([Assignment(event=event, department_id=lead, is_lead=True)] +
                                   [Assignment(event=event, department_id=d) for d in joint if d != lead])
    notifications.enqueue_assigned(event, [lead, *joint])  # outbox: notify the departments' handlers
    event.manual_reason = ""


def _effect_sign(event, *, actor, **kw):
    """The lead signs for the case (its part is the case)."""
    Assignment.objects.filter(pk=holding(event, actor).pk).update(signed_at=timezone.now(), signed_by=actor)


def _effect_sign_part(event, *, actor, **kw):
    Assignment.objects.filter(pk=holding(event, actor).pk).update(signed_at=timezone.now(), signed_by=actor)


def _effect_report_part(event, *, actor, reason, **kw):
    """An assisting department reports what it did (signing for its part too, if it had not yet)."""
    _need_reason(reason)
    mine, now = holding(event, actor), timezone.now()
    Assignment.objects.filter(pk=mine.pk).update(
        signed_at=mine.signed_at or now, signed_by_id=mine.signed_by_id or actor.pk, reported_at=now,
        reported_by=actor, report=reason.strip())


def _effect_return(event, *, reason, **kw):
    _need_reason(reason)
    event.return_count += 1
    Assignment.objects.filter(event=event, active=True).update(active=False)
    event.lead_department = None


def _effect_feedback(event, *, actor, reason, data, **kw):
    if event.category.photo_required_close and not data.get("photo_count"):
        raise ValidationFailed(_("A photo of the result is required to close %(name)s.")
                               % {"name": event.category.name}, field="photos")
    now = timezone.now()
    event.handled_at = now
    mine = holding(event, actor)
    Assignment.objects.filter(pk=mine.pk).update(signed_at=mine.signed_at or now,
                                                 signed_by_id=mine.signed_by_id or actor.pk, reported_at=now,
                                                 reported_by=actor, report=reason.strip())


def _effect_verify(event, **kw):
    event.closed_at = timezone.now()


def _effect_rework(event, *, reason, **kw):
    _need_reason(reason)
    event.rework_count += 1


def _effect_rate(event, *, data, **kw):
    value = data.get("satisfaction")
    if value not in Satisfaction.values:
        raise ValidationFailed(_("Choose satisfied, basically satisfied or unsatisfied."), field="satisfaction")
    event.satisfaction, event.satisfaction_comment = value, check_length(str(data.get("comment", "")), 500,
                                                                       "comment")
    return S.UNSATISFIED if value == Satisfaction.UNSATISFIED else None  # 不满意 waits for a dispatcher


def _effect_reopen(event, *, reason, **kw):
    """不满意 → the lead department handles it again, with a fresh deadline; counted as rework."""
    _need_reason(reason)
    lead = Assignment.objects.filter(event=event, active=True, is_lead=True).first()
    if lead is None:
        raise ValidationFailed(_("No department handled this case, so there is none to send it back to: close it "
                                 "with a reason."), field="action")
    _new_deadline(event, timezone.now())
    event.rework_count += 1
    event.closed_at = None
    event.satisfaction, event.satisfaction_comment = "", ""  # the rating stays in the timeline; a new one follows
    notifications.enqueue_assigned(event, [lead.department_id])  # outbox: the case is back with the department


def _effect_approve_extension(event, *, data, **kw):
    try:
        amount = float(data.get("amount", 0))
    except (TypeError, ValueError):
        amount = 0
    if amount <= 0:
        raise ValidationFailed(_("Give the extension as a positive number of time units."), field="amount")
    base = max(event.deadline or timezone.now(), timezone.now())
    extended = deadline_after(base, amount, event.category.time_unit)
    event.deadline, event.deadline_estimated = extended.due, extended.estimated
    event.warn_at = warn_at(timezone.now(), extended.due)
    event.extension_count += 1
    data["deadline"] = extended.due.isoformat()


def _effect_supervise(event, **kw):
    event.supervised = True
    notifications.enqueue_supervised(event)  # outbox: notify the lead department's handlers


ESCALATION = ["community", "street", "district"]  # 小事不出村、大事不出镇、矛盾不上交


def _effect_escalate(event, *, reason, **kw):
    """One level up from where the case is handled now: the grid's community, then the street, the district."""
    from gridgov.regions.models import Region

    _need_reason(reason)
    ancestors = {r.level: r for r in Region.objects.filter(code__in=event.region_path.strip("/").split("/"))}
    current = event.handling_region.level if event.handling_region_id else None
    following = ESCALATION[ESCALATION.index(current) + 1:] if current in ESCALATION else ESCALATION
    target = next((ancestors[level] for level in following if level in ancestors), None)
    if target is None:
        raise ValidationFailed(_("There is no level above to escalate to."), field="action")
    event.handling_region = target


def _effect_cancel(event, *, reason, **kw):
    _need_reason(reason)
    Assignment.objects.filter(event=event, active=True).update(active=False)


def _effect_reason_only(event, *, reason, **kw):
    _need_reason(reason)


EFFECTS = {
    "reject": _effect_reject, "dispatch": _effect_dispatch, "sign": _effect_sign, "sign_part": _effect_sign_part,
    "report_part": _effect_report_part, "return": _effect_return, "feedback": _effect_feedback,
    "verify": _effect_verify, "rework": _effect_rework, "rate": _effect_rate, "reopen": _effect_reopen,
    "close_unsatisfied": _effect_reason_only, "approve_extension": _effect_approve_extension,
    "supervise": _effect_supervise, "escalate": _effect_escalate, "cancel": _effect_cancel,
    "request_extension": _effect_reason_only,
}

FLOW = Workflow(
    model=Event, prefix="event", moves=ACTIONS, effects=EFFECTS, may_act=may_act, record=record, build=build,
    initial=S.REPORTED, start="report", lock_related=("category",),
    messages=Messages(
        not_found=_("No such case, or it is outside your area."),
        conflict=_("Someone else changed this case first: it is now %(status)s (version %(version)d)."),
        illegal=_("A case that is %(status)s cannot be %(action)s. Allowed now: %(allowed)s."),
        role=_("Your role may not %(action)s this case.")),
)
