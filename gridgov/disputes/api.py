"""Disputes API: register (idempotent by client_key), list with filters, one dispute with its timeline, mediation
steps, the workflow moves (409 on a stale version), and the statistics of 排查 and 化解."""

from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from gridgov.accounts.selectors import actor_label, person_label, person_related
from gridgov.common.api_errors import responses
from gridgov.common.api_types import Date, DateTime, Id, Page, Version
from gridgov.common.audit import client_ip
from gridgov.common.errors import PermissionDenied, ValidationFailed
from gridgov.common.masking import mask_phone
from gridgov.disputes import selectors, services
from gridgov.disputes.choices import MEDIATORS, READERS, DisputeKind, PartyRole, StepKind
from gridgov.disputes.models import Dispute
from gridgov.disputes.workflow import ACTIONS

router = Router(tags=["disputes"])
Short = Annotated[str, Field(max_length=32)]
Search = Annotated[str, Field(max_length=100)]


class PartySchema(Schema):
    role: PartyRole
    name: str = Field(..., min_length=1, max_length=64)
    phone: str = Field("", max_length=32)
    person: Id | None = Field(None, description="The registry person this party is, if known")


class DisputeIn(Schema):
    kind: DisputeKind
    summary: str = Field(..., min_length=1, max_length=2000)
    grid: Id = Field(..., description="Id of the grid (or micro/special grid) where the dispute is")
    parties: list[PartySchema] = Field(..., min_length=1, max_length=20)
    occurred_at: DateTime | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    client_key: str = Field("", max_length=64, description="Your id for this registration: re-sending it returns "
                                                           "the stored dispute")


class StepIn(Schema):
    kind: StepKind = StepKind.TALK
    note: str = Field(..., min_length=1, max_length=2000)
    at: DateTime | None = None
    version: Version | None = None


class ActionIn(Schema):
    version: Version | None = None
    reason: str = Field("", max_length=2000, description="fail: why; follow_up: what the follow-up found; "
                                                         "escalate: why the grid cannot settle it")
    agreement: str = Field("", max_length=2000, description="settle: the agreement reached")
    outcome: str = Field("", max_length=2000)
    follow_up_due: Date | None = None
    category: str = Field("0401", max_length=32, description="escalate: the event subclass of class 04 (0401/0402/0403)")


def dispute_out(d: Dispute, user) -> dict:
    return {
        "id": d.pk, "number": d.number, "kind": d.kind, "kind_label": str(d.get_kind_display()),
        "status": d.status, "status_label": str(d.get_status_display()), "version": d.version,
        "summary": d.summary, "grid": {"id": d.grid_id, "code": d.grid.code, "name": d.grid.name},
        "occurred_at": d.occurred_at.isoformat() if d.occurred_at else None,
        "registered_at": d.registered_at.isoformat(),
        "registered_by": d.registered_by.display_name,
        "mediator": d.mediator.display_name if d.mediator_id else None,
        "settled_at": d.settled_at.isoformat() if d.settled_at else None, "outcome": d.outcome,
        "agreement": d.agreement, "follow_up_due": d.follow_up_due.isoformat() if d.follow_up_due else None,
        "followed_up_at": d.followed_up_at.isoformat() if d.followed_up_at else None,
        "event": {"id": d.event_id, "number": d.event.number, "status": d.event.status} if d.event_id else None,
        "lon": d.lon, "lat": d.lat,
        "allowed_actions": services.allowed(d, user),
    }


def dispute_full(d: Dispute, user) -> dict:
    body = dispute_out(d, user)
    body["parties"] = [{"role": p.role, "role_label": str(p.get_role_display()), "name": p.name,
                        "phone": mask_phone(p.phone), "person": p.person_id} for p in d.parties.all()]
    body["steps"] = [{"kind": s.kind, "kind_label": str(s.get_kind_display()), "at": s.at.isoformat(),
                      "by": s.by.display_name, "note": s.note} for s in d.steps.select_related("by")]
    # "by" stays the stored login name (the contract); "by_display" names the person and where they work
    body["transitions"] = [{"action": t.action, "from": t.from_status, "to": t.to_status, "by": t.actor_name,
                            "by_display": person_label(t.actor) if t.actor_id else actor_label(t.actor_name),
                            "at": t.at.isoformat(), "reason": t.reason}
                           for t in d.transitions.select_related(*person_related("actor"))]
    return body


def _detail(request, dispute_id: int) -> dict:
    return dispute_full(selectors.access_dispute(request.user, dispute_id), request.user)


@router.post("/disputes", response=responses({201: dict, 200: dict}, not_found=True), summary="Register a dispute (排查) with its parties")
def dispute_create(request, payload: DisputeIn):
    if request.user.role not in MEDIATORS:
        raise PermissionDenied(_("Your role does not register or mediate disputes."))
    dispute, created = services.dispute_register(
        actor=request.user, kind=payload.kind, summary=payload.summary, grid_id=payload.grid,
        parties=[services.PartyIn(role=p.role, name=p.name, phone=p.phone, person_id=p.person)
                 for p in payload.parties],
        occurred_at=payload.occurred_at, lon=payload.lon, lat=payload.lat,
        client_key=payload.client_key or request.headers.get("Idempotency-Key", ""), ip=client_ip(request))
    return Status(201 if created else 200, _detail(request, dispute.pk))


@router.get("/disputes", response=responses(list[dict]),
            summary="Disputes in your area (filters: status, kind, grid, q, since/until registration dates)")
@paginate(Page, page_size=50)
def dispute_list(request, status: Short | None = None, kind: Short | None = None, grid: Id | None = None,
                 q: Search | None = None, since: Date | None = None, until: Date | None = None):
    if request.user.role not in READERS:
        raise PermissionDenied(_("Your role does not read disputes."))
    return [dispute_out(d, request.user) for d in selectors.dispute_list(
        user=request.user, status=status, kind=kind, grid=grid, q=q, since=since, until=until)]


@router.get("/disputes/stats", response=responses(dict),
            summary="排查 (registered), 化解 (settled) and 化解率 per region and kind")
def dispute_stats(request, level: Short = "community", since: Date | None = None, until: Date | None = None):
    if request.user.role not in READERS:
        raise PermissionDenied(_("Your role does not read disputes."))
    first, today = selectors.month_period()
    return selectors.dispute_stats(user=request.user, level=level, since=since or first, until=until or today)


@router.get("/disputes/{int:dispute_id}", response=responses(dict, not_found=True),
            summary="One dispute with its parties (phones masked), steps and moves")
def dispute_detail(request, dispute_id: Id):
    return _detail(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/steps", response=responses(dict, not_found=True, conflict=True),
             summary="Record a mediation step")
def dispute_step(request, dispute_id: Id, payload: StepIn):
    services.dispute_step_add(actor=request.user, dispute_id=dispute_id, kind=payload.kind, note=payload.note,
                              at=payload.at, version=payload.version, ip=client_ip(request))
    return _detail(request, dispute_id)


@router.post("/disputes/{int:dispute_id}/actions/{action}", response=responses(dict, not_found=True, conflict=True),
             summary="Settle, fail, follow up or escalate (409 if someone moved it first)")
def dispute_action(request, dispute_id: Id, action: Short, payload: ActionIn):
    if action == "step" or action not in ACTIONS:
        raise ValidationFailed(_("Unknown action %(action)s.") % {"action": action}, field="action")
    kwargs = {"actor": request.user, "dispute_id": dispute_id, "version": payload.version, "ip": client_ip(request)}
    if action == "settle":
        services.dispute_settle(agreement=payload.agreement, outcome=payload.outcome,
                                follow_up_due=payload.follow_up_due, **kwargs)
    elif action == "fail":
        services.dispute_fail(reason=payload.reason, **kwargs)
    elif action == "follow_up":
        services.dispute_follow_up(note=payload.reason, **kwargs)
    else:
        services.dispute_escalate(reason=payload.reason, category=payload.category, **kwargs)
    return _detail(request, dispute_id)
