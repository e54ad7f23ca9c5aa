"""Writes of disputes. ``dispute_register`` takes a dispute in with its parties; ``dispute_transition`` is the only
code that changes a dispute's status: it locks the row, checks the version (409 on a stale one), refuses illegal
moves with the moves that are allowed, checks who may act, applies the move's effects, records the change and
audits it. ``dispute_step_add``, ``dispute_settle``, ``dispute_fail``, ``dispute_follow_up`` and
``dispute_escalate`` are the named moves."""

import datetime as dt
import math
import re
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.audit import audit_record
from gridgov.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.disputes.choices import DisputeKind, PartyRole, StepKind
from gridgov.disputes.models import (
    Dispute,
    DisputeParty,
    DisputeTransition,
    MediationStep,
)
from gridgov.disputes.workflow import ACTIONS, MEDIATORS, allowed_actions
from gridgov.regions.choices import GRID_LEVELS

MAX_TEXT = 2000
MAX_PARTIES = 20
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
# Event subclasses of class 04 矛盾纠纷 (gridgov/events/taxonomy.py) a dispute may be escalated as.
ESCALATION_CATEGORIES = ("0401", "0402", "0403")
STEP_KINDS = {StepKind.TALK, StepKind.JOINT, StepKind.LEGAL, StepKind.OTHER}  # the others come with a move


@dataclass
class PartyIn:
    role: str
    name: str
    phone: str = ""
    person_id: int | None = None


def _text(value: str, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(_("This field is required."), field=field)
    if len(value) > limit:
        raise ValidationFailed(_("At most %(n)s characters.") % {"n": limit}, field=field)
    return value


def _require_mediator(actor) -> None:
    if getattr(actor, "role", None) not in MEDIATORS:
        raise PermissionDenied(_("Your role does not register or mediate disputes."))


def _grid(actor, grid_id: int):
    from gridgov.regions.models import Region

    grid = (Region.objects.restrict(actor).filter(pk=grid_id, level__in=GRID_LEVELS).exclude(status="retired")
            .first() if grid_id else None)
    if grid is None:
        raise NotFound(_("No such grid, or it is outside your area."), field="grid")
    return grid


def _parties(actor, parties: list[PartyIn]) -> list[DisputeParty]:
    from gridgov.registry.models import Person

    if not parties:
        raise ValidationFailed(_("Name at least one party."), field="parties")
    if len(parties) > MAX_PARTIES:
        raise ValidationFailed(_("At most %(n)s parties.") % {"n": MAX_PARTIES}, field="parties")
    linked = {p.person_id for p in parties if p.person_id}
    visible = set(Person.objects.filter(pk__in=linked).restrict(actor).values_list("pk", flat=True))
    out = []
    for i, p in enumerate(parties):
        if p.role not in PartyRole.values:
            raise ValidationFailed(_("Unknown party role %(value)s.") % {"value": p.role}, field=f"parties.{i}.role")
        name = _text(p.name, f"parties.{i}.name", required=True, limit=64)
        phone = (p.phone or "").strip()
        if phone and not PHONE_RE.match(phone):
            raise ValidationFailed(_("Not a phone number."), field=f"parties.{i}.phone")
        if p.person_id and p.person_id not in visible:
            raise NotFound(_("No such person, or they are outside your area."), field=f"parties.{i}.person")
        out.append(DisputeParty(role=p.role, name=name, phone=phone, person_id=p.person_id or None))
    return out


def _check_position(lon, lat):
    if (lon is None) != (lat is None):
        raise ValidationFailed(_("Give both longitude and latitude, or neither."), field="lon")
    if lon is not None and not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
                                and -90 <= lat <= 90):
        raise ValidationFailed(_("Coordinates must be WGS84 longitude/latitude in degrees."), field="lon")


def dispute_register(*, actor, kind: str, summary: str, grid_id: int, parties: list[PartyIn],
                     occurred_at: dt.datetime | None = None, lon: float | None = None, lat: float | None = None,
                     client_key: str = "", ip: str | None = None) -> tuple[Dispute, bool]:
    """Register a dispute found in a grid (排查); returns (dispute, created). The same client_key from the same
    account returns the dispute it registered (created False)."""
    _require_mediator(actor)
    client_key = _text(client_key, "client_key", limit=64)
    if client_key and (stored := Dispute.objects.filter(registered_by=actor, client_key=client_key).first()):
        return stored, False
    if kind not in DisputeKind.values:
        raise ValidationFailed(_("Unknown kind %(value)s.") % {"value": kind}, field="kind")
    summary = _text(summary, "summary", required=True)
    now = timezone.now()
    if occurred_at is not None:
        if timezone.is_naive(occurred_at):
            occurred_at = timezone.make_aware(occurred_at)
        if occurred_at > now + dt.timedelta(minutes=5):
            raise ValidationFailed(_("The time lies in the future."), field="occurred_at")
    _check_position(lon, lat)
    grid = _grid(actor, grid_id)
    rows = _parties(actor, parties)
    try:
        with transaction.atomic():
            dispute = Dispute(number=f"T{uuid.uuid4().hex[:30]}", kind=kind, summary=summary, grid=grid,
                              region_path=grid.path, occurred_at=occurred_at, registered_at=now,
                              registered_by=actor, client_key=client_key, mediator=actor, lon=lon, lat=lat)
            dispute.save(force_insert=True)
            dispute.number = f"JF{timezone.localdate(now):%Y%m%d}{dispute.pk:08d}"
            Dispute.objects.filter(pk=dispute.pk).update(number=dispute.number)
            for row in rows:
                row.dispute = dispute
            DisputeParty.objects.bulk_create(rows)
            DisputeTransition.objects.create(dispute=dispute, action="register", from_status="",
                                             to_status=dispute.status, actor=actor, actor_name=actor.username)
            audit_record(actor=actor, action="dispute.register", obj=dispute, ip=ip,
                         detail={"kind": kind, "grid": grid.code, "parties": len(rows)})
    except IntegrityError:  # a concurrent request with the same client_key won
        stored = Dispute.objects.filter(registered_by=actor, client_key=client_key).first() if client_key else None
        if stored is None:
            raise
        return stored, False
    return dispute, True


# --- the gatekeeper ------------------------------------------------------------------------------------------------
def dispute_transition(*, actor, dispute_id: int, action: str, version: int | None, reason: str = "",
                       data: dict | None = None, ip: str | None = None) -> Dispute:
    data = data or {}
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
        if dispute is None or not Dispute.objects.filter(pk=dispute_id).restrict(actor).exists():
            raise NotFound(_("No such dispute, or it is outside your area."))
        move = ACTIONS.get(action)
        if move is None:
            raise ValidationFailed(_("Unknown action %(action)s.") % {"action": action}, field="action",
                                   details=allowed(dispute, actor))
        if version is not None and version != dispute.version:
            raise Conflict(_("Someone else changed this dispute first: it is now %(status)s (version %(version)d).")
                           % {"status": dispute.get_status_display(), "version": dispute.version},
                           details=[{"status": dispute.status, "version": dispute.version}])
        if dispute.status not in move.sources:
            moves = allowed(dispute, actor)
            raise ValidationFailed(
                _("A dispute that is %(status)s cannot be moved to %(action)s. Allowed now: %(allowed)s.")
                % {"status": dispute.get_status_display(), "action": move.label,
                   "allowed": "、".join(m["label"] for m in moves) or _("nothing")},
                field="action", code="illegal_move", details=moves)
        if actor.role not in move.roles:
            raise PermissionDenied(_("Your role may not %(action)s.") % {"action": move.label})
        before = dispute.status
        EFFECTS[action](dispute, actor=actor, reason=reason, data=data)
        dispute.status = move.target
        if before != dispute.status:
            DisputeTransition.objects.create(dispute=dispute, action=action, from_status=before,
                                             to_status=dispute.status, actor=actor, actor_name=actor.username,
                                             reason=reason.strip()[:MAX_TEXT])
        dispute.version = F("version") + 1
        dispute.save()
        dispute.refresh_from_db()
        audit_record(actor=actor, action=f"dispute.{action}", obj=dispute, ip=ip,
                     detail={"from": before, "to": dispute.status, **data.get("_audit", {})})
    return dispute


def allowed(dispute: Dispute, actor) -> list[dict]:
    return [{"action": a, "label": str(ACTIONS[a].label)}
            for a in allowed_actions(dispute.status, getattr(actor, "role", None))]


def _step(dispute, actor, kind, note, at=None):
    MediationStep.objects.create(dispute=dispute, kind=kind, at=at or timezone.now(), by=actor, note=note)


def _effect_step(dispute, *, actor, data, **kw):
    kind = data.get("kind") or StepKind.TALK
    if kind not in STEP_KINDS:
        raise ValidationFailed(_("Unknown step %(value)s.") % {"value": kind}, field="kind")
    note = _text(data.get("note", ""), "note", required=True)
    at = data.get("at") or timezone.now()
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationFailed(_("The time lies in the future."), field="at")
    _step(dispute, actor, kind, note, at)
    if dispute.mediator_id is None:
        dispute.mediator = actor
    data["_audit"] = {"step": kind}


def _effect_settle(dispute, *, actor, data, **kw):
    agreement = _text(data.get("agreement", ""), "agreement", required=True)
    dispute.agreement = agreement
    dispute.outcome = _text(data.get("outcome", ""), "outcome")
    due = data.get("follow_up_due")
    if due is not None and due < timezone.localdate():
        raise ValidationFailed(_("The follow-up date lies in the past."), field="follow_up_due")
    dispute.follow_up_due = due
    dispute.settled_at = timezone.now()
    dispute.mediator = actor
    _step(dispute, actor, StepKind.AGREEMENT, agreement)


def _effect_fail(dispute, *, actor, reason, **kw):
    dispute.outcome = _text(reason, "reason", required=True)


def _effect_follow_up(dispute, *, actor, reason, **kw):
    note = _text(reason, "reason", required=True)
    dispute.followed_up_at = timezone.now()
    _step(dispute, actor, StepKind.FOLLOW_UP, note)


def _effect_escalate(dispute, *, actor, reason, data, **kw):
    """The grid cannot settle it: report an event of class 04 矛盾纠纷 at the dispute's place and link it."""
    from gridgov.events.choices import Channel
    from gridgov.events.services import Report, event_report

    reason = _text(reason, "reason", required=True)
    category = data.get("category") or ESCALATION_CATEGORIES[0]
    if category not in ESCALATION_CATEGORIES:
        raise ValidationFailed(_("Unknown category %(code)s.") % {"code": category}, field="category")
    lon, lat = _place(dispute)
    description = _("Dispute %(number)s (%(kind)s) could not be settled in the grid: %(summary)s Why escalated: "
                    "%(reason)s") % {"number": dispute.number, "kind": dispute.get_kind_display(),
                                     "summary": dispute.summary, "reason": reason}
    channel = Channel.DISPATCHER if actor.role == "dispatcher" else Channel.WORKER
    event = event_report(actor=actor, report=Report(category_code=category, description=description[:2000],
                                                    lon=lon, lat=lat, channel=channel, external_id=dispute.number,
                                                    occurred_at=dispute.occurred_at))
    dispute.event = event
    data["_audit"] = {"event": event.number, "category": category}


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


# --- the named moves -----------------------------------------------------------------------------------------------
def dispute_step_add(*, actor, dispute_id: int, kind: str, note: str, at: dt.datetime | None = None,
                     version: int | None = None, ip: str | None = None) -> Dispute:
    """Record a mediation step (talk, joint mediation, legal advice…); a registered or failed dispute is then
    being mediated."""
    return dispute_transition(actor=actor, dispute_id=dispute_id, action="step", version=version,
                              data={"kind": kind, "note": note, "at": at}, ip=ip)


def dispute_settle(*, actor, dispute_id: int, version: int | None, agreement: str, outcome: str = "",
                   follow_up_due: dt.date | None = None, ip: str | None = None) -> Dispute:
    return dispute_transition(actor=actor, dispute_id=dispute_id, action="settle", version=version,
                              data={"agreement": agreement, "outcome": outcome, "follow_up_due": follow_up_due},
                              ip=ip)


def dispute_fail(*, actor, dispute_id: int, version: int | None, reason: str, ip: str | None = None) -> Dispute:
    return dispute_transition(actor=actor, dispute_id=dispute_id, action="fail", version=version, reason=reason,
                              ip=ip)


def dispute_follow_up(*, actor, dispute_id: int, version: int | None, note: str, ip: str | None = None) -> Dispute:
    return dispute_transition(actor=actor, dispute_id=dispute_id, action="follow_up", version=version,
                              reason=note, ip=ip)


def dispute_escalate(*, actor, dispute_id: int, version: int | None, reason: str, category: str = "0401",
                     ip: str | None = None) -> Dispute:
    return dispute_transition(actor=actor, dispute_id=dispute_id, action="escalate", version=version,
                              reason=reason, data={"category": category}, ip=ip)
