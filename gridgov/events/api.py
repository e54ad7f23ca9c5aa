"""Events API: photos, intake (idempotent), queues, one case, and one endpoint for every workflow move."""

import datetime as dt
from typing import Annotated

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from gridgov.common.api_errors import responses
from gridgov.common.api_types import MAX_IDS, DateTime, Id, Page, Version
from gridgov.common.errors import NotFound, PermissionDenied, ValidationFailed
from gridgov.common.images import process_image
from gridgov.common.masking import mask_phone
from gridgov.common.roles import Role
from gridgov.events import selectors, services
from gridgov.events.choices import Channel, PhotoKind
from gridgov.events.idempotency import run_idempotent
from gridgov.events.models import Event, Photo
from gridgov.events.workflow import PHOTO_KINDS

router = Router(tags=["events"])
Short = Annotated[str, Field(max_length=32)]
Search = Annotated[str, Field(max_length=100)]
REPORTING_ROLES = {Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER}
MAX_PHOTO_BYTES = 10 * 1024 * 1024
DISPATCHER_CHANNELS = {Channel.DISPATCHER, Channel.POLICE_110, Channel.LEADER, Channel.HOTLINE}
MAX_EXTENSION = 1000  # time units (working days or hours) in one extension


class PhotoOut(Schema):
    id: int
    kind: str
    url: str
    thumbnail_url: str
    taken_at: dt.datetime | None
    lon: float | None
    lat: float | None


class EventIn(Schema):
    category: str = Field(..., min_length=1, max_length=32, description="Subclass or item code, e.g. 0301")
    description: str = Field(..., min_length=1, max_length=2000)
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    address: str = Field("", max_length=200)
    occurred_at: DateTime | None = None
    photos: list[Id] = Field(default_factory=list, max_length=9, description="Ids from POST /photos")
    after_photos: list[Id] = Field(default_factory=list, max_length=9,
                                    description="For a case solved on the spot: photos after the fix")
    self_resolved: bool = False
    channel: Channel = Field(Channel.WORKER, description="Dispatchers: dispatcher, police_110, leader, hotline")
    reporter_name: str = Field("", max_length=64)
    reporter_phone: str = Field("", max_length=32)
    external_id: str = Field("", max_length=64)


class ActionIn(Schema):
    version: Version | None = None
    reason: str = Field("", max_length=500)
    lead_department: Id | None = None
    joint_departments: list[Id] = Field(default_factory=list, max_length=MAX_IDS)
    reject_reason: str | None = Field(None, max_length=16)
    satisfaction: str | None = Field(None, max_length=16)
    comment: str = Field("", max_length=500)
    amount: float | None = Field(None, le=MAX_EXTENSION, description="Extension in the category's time unit")
    photos: list[Id] = Field(default_factory=list, max_length=9)


def _photo_out(photo: Photo) -> dict:
    return {"id": photo.pk, "kind": photo.kind, "url": reverse("events:photo", args=[photo.pk, "full"]),
            "thumbnail_url": reverse("events:photo", args=[photo.pk, "thumb"]), "taken_at": photo.taken_at,
            "lon": photo.lon, "lat": photo.lat}


def event_out(event: Event, user) -> dict:
    return {
        "id": event.pk, "number": event.number, "status": event.status, "status_label": event.get_status_display(),
        "version": event.version, "category": {"code": event.category.code, "name": event.category.name},
        "description": event.description, "address": event.address, "lon": event.lon, "lat": event.lat,
        "grid": {"id": event.grid_id, "code": event.grid.code, "name": event.grid.name} if event.grid_id else None,
        "channel": event.channel, "channel_label": event.get_channel_display(),
        "reported_at": event.reported_at, "deadline": event.deadline, "deadline_estimated": event.deadline_estimated,
        "overdue": selectors.is_overdue(event), "expiring": selectors.is_expiring(event),
        "lead_department": ({"id": event.lead_department_id, "name": event.lead_department.name}
                            if event.lead_department_id else None),
        "auto_dispatched": event.auto_dispatched, "manual_reason": event.manual_reason,
        "duplicate_of": event.duplicate_of.number if event.duplicate_of_id else None,
        "self_resolved": event.self_resolved, "supervised": event.supervised, "satisfaction": event.satisfaction,
        "satisfaction_comment": event.satisfaction_comment, "rework_count": event.rework_count,
        "reporter_name": event.reporter_name, "reporter_phone": mask_phone(event.reporter_phone),
        "attributes": [{"code": a.get("code"), "label": a.get("label"), "value": a.get("value"), "text": a.get("text")}
                       for a in event.attributes or []],  # answers to the category's questions (Open311 attribute[])
        "allowed_actions": services.event_allowed(event, user),
    }


def _attach_photos(*, user, event: Event, ids: list[int], kind: str, transition=None) -> int:
    if not ids:
        return 0
    photos = list(Photo.objects.filter(pk__in=ids, uploaded_by=user, event__isnull=True))
    if len(photos) != len(set(ids)):
        raise ValidationFailed(_("Unknown photos, or photos already used: upload them again."), field="photos")
    Photo.objects.filter(pk__in=[p.pk for p in photos]).update(event=event, kind=kind, transition=transition)
    return len(photos)


def _check_photos(user, ids: list[int]) -> None:
    if ids and Photo.objects.filter(pk__in=ids, uploaded_by=user, event__isnull=True).count() != len(set(ids)):
        raise ValidationFailed(_("Unknown photos, or photos already used: upload them again."), field="photos")


@router.post("/photos", response=responses({201: PhotoOut}), summary="Upload a photo (then name it in a report or a move)")
def photo_upload(request, file: UploadedFile = File(...)):
    if request.user.role not in REPORTING_ROLES | {Role.DEPT_HANDLER}:
        raise PermissionDenied(_("Your role does not upload case photos."))
    if file.size > MAX_PHOTO_BYTES:  # refuse before reading it into memory
        raise ValidationFailed(_("The file is larger than %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES // 2**20},
                               field="photo", code="file_too_large")
    image = process_image(file.read(), max_bytes=MAX_PHOTO_BYTES)
    photo = services.photo_store(image=image, uploaded_by=request.user)
    return Status(201, _photo_out(photo))


@router.post("/events", response=responses({201: dict, 200: dict}), summary="Report a case (send an Idempotency-Key)")
def event_create(request, payload: EventIn):
    user = request.user
    if user.role not in REPORTING_ROLES:
        raise PermissionDenied(_("Your role does not report cases."))
    if payload.channel != Channel.WORKER and (user.role != Role.DISPATCHER or payload.channel not in
                                              DISPATCHER_CHANNELS):
        raise PermissionDenied(_("Only a dispatcher enters cases from other channels."))

    def prepare():
        _check_photos(user, payload.photos + payload.after_photos)
        return services.event_prepare(report=services.Report(
            category_code=payload.category, description=payload.description, lon=payload.lon, lat=payload.lat,
            channel=payload.channel, address=payload.address, occurred_at=payload.occurred_at,
            reporter_name=payload.reporter_name, reporter_phone=payload.reporter_phone,
            external_id=payload.external_id, self_resolved=payload.self_resolved,
            photo_count=len(payload.photos) + len(payload.after_photos), after_photo_count=len(payload.after_photos)))

    def create(intake):
        event = services.event_file(actor=user, intake=intake)
        _attach_photos(user=user, event=event, ids=payload.photos,
                       kind=PhotoKind.BEFORE if payload.self_resolved else PhotoKind.REPORT)
        _attach_photos(user=user, event=event, ids=payload.after_photos, kind=PhotoKind.AFTER)
        return 201, _json(event_out(event, user))

    status, body = run_idempotent(owner=f"user:{user.pk}", key=request.headers.get("Idempotency-Key"),
                                  payload=payload.model_dump(mode="json"), prepare=prepare, create=create)
    return Status(status, body)


def _json(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in data.items()}


@router.get("/events", response=responses(list[dict]), summary="Cases visible to you, by queue")
@paginate(Page, page_size=50)
def event_list(request, queue: Short | None = None, status: Short | None = None, category: Short | None = None,
               q: Search | None = None):
    return [_json(event_out(e, request.user))
            for e in selectors.event_list(user=request.user, queue=queue, status=status, category=category, q=q)]


@router.get("/events/queues", response=responses(dict[str, int], invalid=False),
            summary="How many cases wait in each queue")
def event_queues(request):
    return selectors.queue_counts(user=request.user)


@router.get("/events/{int:event_id}", response=responses(dict, not_found=True),
            summary="One case with its timeline and photos")
def event_detail(request, event_id: Id):
    event = selectors.access_event(request.user, event_id)
    body = _json(event_out(event, request.user))
    body["departments"] = [_part_out(a) for a in selectors.event_parts(event)]
    # "actor" stays the stored login name (the contract); "actor_display" names the person and their department
    body["timeline"] = [{"action": t.action, "from": t.from_status, "to": t.to_status, "actor": t.actor_name,
                         "actor_display": t.actor_label, "at": t.at.isoformat(), "reason": t.reason, "data": t.data}
                        for t in selectors.event_timeline(event)]
    body["photos"] = [_photo_out(p) for p in event.photos.all()]
    return body


def _part_out(a) -> dict:
    """One department's part of the case: lead or assisting, signed for, reported on, what it said."""
    def when(value):
        return value.isoformat() if value else None

    return {"id": a.department_id, "name": a.department.name, "lead": a.is_lead,
            "signed_at": when(a.signed_at), "signed_by": a.signed_by.display_name if a.signed_by_id else None,
            "reported_at": when(a.reported_at),
            "reported_by": a.reported_by.display_name if a.reported_by_id else None, "report": a.report}


@router.post("/events/{int:event_id}/actions/{action}", response=responses(dict, not_found=True, conflict=True),
             summary="Move a case (409 if someone moved it first)")
def event_action(request, event_id: Id, action: Short, payload: ActionIn):
    data = payload.model_dump(exclude={"version", "reason", "photos"}, exclude_none=True)
    _check_photos(request.user, payload.photos)
    data["photo_count"] = len(payload.photos)
    event = services.event_transition(actor=request.user, event_id=event_id, action=action,
                                      version=payload.version, reason=payload.reason, data=data)
    if payload.photos:
        _attach_photos(user=request.user, event=event, ids=payload.photos, kind=PHOTO_KINDS[action],
                       transition=event.transitions.last())
    return _json(event_out(selectors.access_event(request.user, event.pk), request.user))


@router.get("/categories", response=responses(list[dict], invalid=False),
            summary="The event taxonomy (classes, subclasses, items)")
def category_list(request):
    return [{"code": c.code, "name": c.name, "level": c.level, "parent": c.parent.code if c.parent_id else None,
             "kind": c.kind, "case_type": c.case_type, "time_limit": float(c.time_limit), "time_unit": c.time_unit,
             "photo_required_report": c.photo_required_report, "photo_required_close": c.photo_required_close,
             "closing_standard": c.closing_standard} for c in selectors.category_tree()]


__all__ = ["router", "NotFound"]
