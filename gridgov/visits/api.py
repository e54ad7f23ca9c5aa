"""Visits API: record a visit (multipart: the fields and the photos in one request, idempotent by client_key),
the visit log, one visit, and the overdue-visit lists (a worker's own, and per worker for those who oversee them)."""

from typing import Annotated

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from gridgov.common.api_errors import responses
from gridgov.common.api_types import DateTime, Id, Page
from gridgov.common.audit import client_ip
from gridgov.common.errors import PermissionDenied, ValidationFailed
from gridgov.common.images import process_image
from gridgov.visits import selectors, services
from gridgov.visits.choices import VisitPurpose
from gridgov.visits.models import OVERSEERS, VISIT_READERS, VISITOR_ROLES, Visit

router = Router(tags=["visits"])
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class VisitIn(Schema):
    household: Id | None = Field(None, description="Visit a household (give exactly one of household/person/unit)")
    person: Id | None = None
    unit: Id | None = None
    purpose: VisitPurpose = VisitPurpose.ROUTINE
    findings: str = Field("", max_length=2000)
    visited_at: DateTime | None = Field(None, description="When the visit took place (default: now); never "
                                                             "in the future")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    client_key: str = Field("", max_length=64, description="The field app's id for this visit: re-sending it "
                                                           "returns the stored visit")


def _target(visit: Visit) -> dict:
    for kind in ("household", "person", "unit"):
        obj = getattr(visit, kind)
        if obj is not None:
            return {"kind": kind, "id": obj.pk, "name": selectors.target_label(obj)}
    return {}


def visit_out(visit: Visit) -> dict:
    return {
        "id": visit.pk, "target": _target(visit), "purpose": visit.purpose,
        "purpose_label": str(visit.get_purpose_display()), "findings": visit.findings,
        "visited_at": visit.visited_at.isoformat(), "recorded_at": visit.recorded_at.isoformat(),
        "worker": {"id": visit.worker_id, "name": visit.worker.display_name},
        "grid": {"id": visit.grid_id, "name": visit.grid.name}, "lon": visit.lon, "lat": visit.lat,
        "client_key": visit.client_key,
        "photos": [{"id": p.pk, "url": reverse("visits:photo", args=[p.pk, "full"]),
                    "thumbnail_url": reverse("visits:photo", args=[p.pk, "thumb"]),
                    "taken_at": p.taken_at.isoformat() if p.taken_at else None, "lon": p.lon, "lat": p.lat}
                   for p in visit.photos.all()],
    }


def read_photos(files) -> list:
    """Check the uploads' sizes before reading them, then process each (re-encoded, EXIF stripped)."""
    files = [f for f in (files or []) if f]
    if len(files) > services.MAX_PHOTOS:
        raise ValidationFailed(_("At most %(n)s photos.") % {"n": services.MAX_PHOTOS}, field="photos")
    for f in files:
        if f.size > MAX_PHOTO_BYTES:
            raise ValidationFailed(_("The file is larger than %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES // 2**20},
                                   field="photos", code="file_too_large")
    return [process_image(f.read(), max_bytes=MAX_PHOTO_BYTES) for f in files]


@router.post("/visits", response=responses({201: dict, 200: dict}, not_found=True),
             summary="Record a visit (multipart form; photos as repeated 'photos' files)")
def visit_create(request, payload: Form[VisitIn],
                 photos: Annotated[list[UploadedFile], File(max_length=services.MAX_PHOTOS)] = None):
    if request.user.role not in VISITOR_ROLES:
        raise PermissionDenied(_("Your role does not record visits."))
    key = payload.client_key or request.headers.get("Idempotency-Key", "")
    visit, created = services.visit_record(
        actor=request.user, household=payload.household, person=payload.person, unit=payload.unit,
        purpose=payload.purpose, findings=payload.findings, visited_at=payload.visited_at, lon=payload.lon,
        lat=payload.lat, photos=read_photos(photos), client_key=key, ip=client_ip(request))
    return Status(201 if created else 200, visit_out(selectors.access_visit(request.user, visit.pk)))


@router.get("/visits", response=responses(list[dict]), summary="The visit log in your area (filter by target or worker)")
@paginate(Page, page_size=50)
def visit_list(request, person: Id | None = None, household: Id | None = None, unit: Id | None = None,
               worker: Id | None = None):
    if request.user.role not in VISIT_READERS:
        raise PermissionDenied(_("Your role does not read visit logs."))
    qs = selectors.visit_list(user=request.user, person=person, household=household, unit=unit, worker=worker)
    return [visit_out(v) for v in qs.prefetch_related("photos")]


@router.get("/visits/overdue", response=responses(dict, not_found=True),
            summary="Targets late for a visit in a worker's grids (default: your own)")
def visit_overdue(request, worker: Id | None = None):
    target = selectors.access_worker(request.user, worker)
    dues = selectors.overdue_for_worker(viewer=request.user, worker=target)
    return {"worker": {"id": target.pk, "name": target.display_name},
            "household_every_days": selectors.settings.GRIDGOV_HOUSEHOLD_VISIT_DAYS,
            "count": len(dues), "items": [d.as_dict() for d in dues]}


@router.get("/visits/overdue/workers", response=responses(list[dict], invalid=False), summary="Overdue visits per grid worker in your area")
def visit_overdue_workers(request):
    if request.user.role not in OVERSEERS:
        raise PermissionDenied(_("Your role does not oversee grid workers' visits."))
    return selectors.overdue_by_worker(viewer=request.user)


@router.get("/visits/{int:visit_id}", response=responses(dict, not_found=True), summary="One visit with its photos")
def visit_detail(request, visit_id: Id):
    return visit_out(selectors.access_visit(request.user, visit_id))
