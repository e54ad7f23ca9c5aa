"""Writes of disputes. ``dispute_register`` takes a dispute in with its parties (its first status and transition
row planned by the workflow engine); ``dispute_transition`` hands every move to the one gatekeeper,
``gridgov.common.workflow.move``, over the table and effects in ``disputes/workflow.py``. ``dispute_step_add``,
``dispute_settle``, ``dispute_fail``, ``dispute_follow_up`` and ``dispute_escalate`` are the named moves."""

import datetime as dt
import math
import re
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.audit import audit_record
from gridgov.common.calendar import past_moment
from gridgov.common.errors import NotFound, PermissionDenied, ValidationFailed
from gridgov.common.workflow import allowed as workflow_allowed
from gridgov.common.workflow import move, plan
from gridgov.disputes.choices import MEDIATORS, DisputeKind, PartyRole
from gridgov.disputes.models import (
    Dispute,
    DisputeParty,
)
from gridgov.disputes.workflow import FLOW, text_clean
from gridgov.regions.choices import GRID_LEVELS

MAX_PARTIES = 20
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")


@dataclass
class PartyIn:
    role: str
    name: str
    phone: str = ""
    person_id: int | None = None


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
        name = text_clean(p.name, f"parties.{i}.name", required=True, limit=64)
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
    client_key = text_clean(client_key, "client_key", limit=64)
    if client_key and (stored := Dispute.objects.filter(registered_by=actor, client_key=client_key).first()):
        return stored, False
    if kind not in DisputeKind.values:
        raise ValidationFailed(_("Unknown kind %(value)s.") % {"value": kind}, field="kind")
    summary = text_clean(summary, "summary", required=True)
    now = timezone.now()
    if occurred_at is not None:
        occurred_at = past_moment(occurred_at, "occurred_at", now=now)
    _check_position(lon, lat)
    grid = _grid(actor, grid_id)
    rows = _parties(actor, parties)
    try:
        with transaction.atomic():
            dispute = Dispute(number=f"T{uuid.uuid4().hex[:30]}", kind=kind, summary=summary, grid=grid,
                              region_path=grid.path, occurred_at=occurred_at, registered_at=now,
                              registered_by=actor, client_key=client_key, mediator=actor, lon=lon, lat=lat,
                              status=FLOW.initial)
            dispute.save(force_insert=True)
            dispute.number = f"JF{timezone.localdate(now):%Y%m%d}{dispute.pk:08d}"
            Dispute.objects.filter(pk=dispute.pk).update(number=dispute.number)
            for row in rows:
                row.dispute = dispute
            DisputeParty.objects.bulk_create(rows)
            for row in plan(FLOW, actor=actor).transitions:  # "register": from nothing to the first status
                row.dispute = dispute
                row.save(force_insert=True)
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
    """Move a dispute: the one gatekeeper (``gridgov.common.workflow.move``) over ``disputes/workflow.py``."""
    return move(FLOW, actor=actor, pk=dispute_id, action=action, version=version, reason=reason, data=data, ip=ip)


def allowed(dispute: Dispute, actor) -> list[dict]:
    return workflow_allowed(FLOW, dispute, actor)


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
