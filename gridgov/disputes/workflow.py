"""The dispute workflow as data: every action, the statuses it starts from, where it leads, who may take it and
what it does (its effect). The one gatekeeper that applies it is ``gridgov.common.workflow.move`` (read its
docstring); ``services.dispute_transition`` and the named moves (``dispute_settle`` …) hand every move to it.

    registered ─step→ mediating ─settle→ settled ─follow_up→ closed
        │                 │  └─fail→ failed ─follow_up→ closed
        └─settle/fail─────┘            │ └─step→ mediating (try again)
    registered / mediating / failed ─escalate→ escalated (an event takes over: 矛盾不上交 failed at grid level)
"""


from django.utils import timezone
from django.utils.translation import gettext_lazy as _  # labels and messages, translated when shown

from gridgov.common.calendar import past_moment
from gridgov.common.errors import ValidationFailed, check_length, too_long
from gridgov.common.workflow import Messages, Move, Workflow
from gridgov.disputes.choices import MEDIATORS, StepKind
from gridgov.disputes.choices import DisputeStatus as S
from gridgov.disputes.models import Dispute, DisputeTransition, MediationStep

MAX_TEXT = 2000
# Event subclasses of class 04 矛盾纠纷 (gridgov/events/taxonomy.py) a dispute may be escalated as.
ESCALATION_CATEGORIES = ("0401", "0402", "0403")
STEP_KINDS = {StepKind.TALK, StepKind.JOINT, StepKind.LEGAL, StepKind.OTHER}  # the others come with a move

ACTIONS: dict[str, Move] = {
    "step": Move(frozenset({S.REGISTERED, S.MEDIATING, S.FAILED}), S.MEDIATING, MEDIATORS,
                 _("record a mediation step")),
    "settle": Move(frozenset({S.REGISTERED, S.MEDIATING}), S.SETTLED, MEDIATORS, _("settle with an agreement")),
    "fail": Move(frozenset({S.REGISTERED, S.MEDIATING}), S.FAILED, MEDIATORS, _("record that mediation failed")),
    "escalate": Move(frozenset({S.REGISTERED, S.MEDIATING, S.FAILED}), S.ESCALATED, MEDIATORS,
                     _("escalate as an event")),
    "follow_up": Move(frozenset({S.SETTLED, S.FAILED}), S.CLOSED, MEDIATORS, _("follow up and close")),
}


# --- hooks ---------------------------------------------------------------------------------------------------------
def build(*, action: str, from_status: str, to_status: str, actor, reason: str, data: dict) -> DisputeTransition:
    return DisputeTransition(action=action, from_status=from_status, to_status=to_status, actor=actor,
                             actor_name=actor.username, reason=reason.strip())  # the effects checked its length


def record(dispute: Dispute, *, action: str, from_status: str, actor, reason: str, data: dict) -> DisputeTransition:
    transition = build(action=action, from_status=from_status, to_status=dispute.status, actor=actor, reason=reason,
                       data=data)
    transition.dispute = dispute
    transition.save(force_insert=True)
    return transition


# --- effects -------------------------------------------------------------------------------------------------------
def text_clean(value: str, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(_("This field is required."), field=field)
    return check_length(value, limit, field)


def _step(dispute, actor, kind, note, at=None):
    MediationStep.objects.create(dispute=dispute, kind=kind, at=at or timezone.now(), by=actor, note=note)


def _effect_step(dispute, *, actor, data, **kw):
    kind = data.get("kind") or StepKind.TALK
    if kind not in STEP_KINDS:
        raise ValidationFailed(_("Unknown step %(value)s.") % {"value": kind}, field="kind")
    note = text_clean(data.get("note", ""), "note", required=True)
    at = past_moment(data.get("at") or timezone.now(), "at")
    _step(dispute, actor, kind, note, at)
    if dispute.mediator_id is None:
        dispute.mediator = actor
    data["_audit"] = {"step": kind}


def _effect_settle(dispute, *, actor, data, **kw):
    agreement = text_clean(data.get("agreement", ""), "agreement", required=True)
    dispute.agreement = agreement
    dispute.outcome = text_clean(data.get("outcome", ""), "outcome")
    due = data.get("follow_up_due")
    if due is not None and due < timezone.localdate():
        raise ValidationFailed(_("The follow-up date lies in the past."), field="follow_up_due")
    dispute.follow_up_due = due
    dispute.settled_at = timezone.now()
    dispute.mediator = actor
    _step(dispute, actor, StepKind.AGREEMENT, agreement)


def _effect_fail(dispute, *, actor, reason, **kw):
    dispute.outcome = text_clean(reason, "reason", required=True)


def _effect_follow_up(dispute, *, actor, reason, **kw):
    note = text_clean(reason, "reason", required=True)
    dispute.followed_up_at = timezone.now()
    _step(dispute, actor, StepKind.FOLLOW_UP, note)


def _effect_escalate(dispute, *, actor, reason, data, **kw):
    """The grid cannot settle it: report an event of class 04 矛盾纠纷 at the dispute's place and link it."""
    from gridgov.events.choices import Channel
    from gridgov.events.services import Report, event_report

    reason = text_clean(reason, "reason", required=True)
    category = data.get("category") or ESCALATION_CATEGORIES[0]
    if category not in ESCALATION_CATEGORIES:
        raise ValidationFailed(_("Unknown category %(code)s.") % {"code": category}, field="category")
    lon, lat = _place(dispute)
    description = escalation_description(dispute, reason)
    channel = Channel.DISPATCHER if actor.role == "dispatcher" else Channel.WORKER
    event = event_report(actor=actor, report=Report(category_code=category, description=description,
                                                    lon=lon, lat=lat, channel=channel, external_id=dispute.number,
                                                    occurred_at=dispute.occurred_at))
    dispute.event = event
    data["_audit"] = {"event": event.number, "category": category}


def escalation_description(dispute, reason: str) -> str:
    """The escalated event's description: the dispute's number and kind, why it is escalated (whole, always), and
    its summary — shortened visibly, with a pointer to the dispute, when the whole would not fit in an event's
    description. A reason that leaves no room is refused with the room there is."""
    from gridgov.events.services import DESCRIPTION_MAX

    def compose(summary):
        return _("Dispute %(number)s (%(kind)s) could not be settled in the grid. Why escalated: %(reason)s "
                 "The dispute: %(summary)s") % {"number": dispute.number, "kind": dispute.get_kind_display(),
                                                "reason": reason, "summary": summary}

    text = compose(dispute.summary)
    if len(text) <= DESCRIPTION_MAX:
        return text
    more = _("… (shortened; the whole text is in dispute %(number)s)") % {"number": dispute.number}
    room = DESCRIPTION_MAX - len(compose("")) - len(more)
    if room < 20:  # not even the start of the summary fits: the reason is too long for an event's description
        limit = DESCRIPTION_MAX - len(compose("")) - len(more) + len(reason) - 20
        raise ValidationFailed(too_long(max(limit, 0), len(reason)), field="reason")
    return compose(dispute.summary[:room] + more)


def _place(dispute) -> tuple[float, float]:
    """Where the event is reported: the dispute's position, else a point inside its grid."""
    if dispute.lon is not None:
        return dispute.lon, dispute.lat
    from gridgov.regions.geometry import load

    grid = dispute.grid
    if grid.centroid_lon is not None and _inside(grid, grid.centroid_lon, grid.centroid_lat):
        return grid.centroid_lon, grid.centroid_lat
    if grid.geometry:
        point = load(grid.geometry).representative_point()
        return point.x, point.y
    raise ValidationFailed(_("The dispute's grid has no boundary: record where the dispute is."), field="lon")


def _inside(grid, lon, lat) -> bool:
    from gridgov.regions.index import geo_index

    located = geo_index.locate_id(lon, lat)
    return located is not None and any(r.id == grid.pk for r in geo_index.chain(located))


EFFECTS = {"step": _effect_step, "settle": _effect_settle, "fail": _effect_fail, "follow_up": _effect_follow_up,
           "escalate": _effect_escalate}


FLOW = Workflow(
    model=Dispute, prefix="dispute", moves=ACTIONS, effects=EFFECTS, record=record, build=build,
    initial=S.REGISTERED, start="register", record_unchanged=False,  # a step while mediating changes no status
    messages=Messages(
        not_found=_("No such dispute, or it is outside your area."),
        conflict=_("Someone else changed this dispute first: it is now %(status)s (version %(version)d)."),
        illegal=_("A dispute that is %(status)s cannot be moved to %(action)s. Allowed now: %(allowed)s."),
        role=_("Your role may not %(action)s.")),
)
