"""Writes of visits. ``visit_record`` logs one visit of a household, person or unit in the worker's area, with
its photos; re-sending the same ``client_key`` (the field app's id for the visit) returns the stored visit."""

import datetime as dt
import math

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.audit import audit_record
from gridgov.common.calendar import past_moment
from gridgov.common.errors import PermissionDenied, ValidationFailed
from gridgov.common.images import ProcessedImage
from gridgov.common.photos import photo_files_guard, photo_files_save
from gridgov.visits import selectors
from gridgov.visits.choices import VisitPurpose
from gridgov.visits.models import VISITOR_ROLES, Visit, VisitPhoto

MAX_PHOTOS = 9
MAX_FINDINGS = 2000
MAX_CLIENT_KEY = 64


def visit_record(*, actor, household: int | None = None, person: int | None = None, unit: int | None = None,
                 purpose: str = VisitPurpose.ROUTINE, findings: str = "", visited_at: dt.datetime | None = None,
                 lon: float | None = None, lat: float | None = None, photos: list[ProcessedImage] | None = None,
                 client_key: str = "", ip: str | None = None) -> tuple[Visit, bool]:
    """Log a visit; returns (visit, created). The same client_key from the same worker returns the stored visit
    (created False); the same key with different content is refused (422) and nothing changes."""
    if getattr(actor, "role", None) not in VISITOR_ROLES:
        raise PermissionDenied(_("Your role does not record visits."))
    client_key = (client_key or "").strip()
    if len(client_key) > MAX_CLIENT_KEY:
        raise ValidationFailed(_("At most %(n)s characters.") % {"n": MAX_CLIENT_KEY}, field="client_key")
    targets = [(k, v) for k, v in (("household", household), ("person", person), ("unit", unit)) if v]
    if len(targets) != 1:
        raise ValidationFailed(_("Choose exactly one household, person or unit to visit."), field="target")
    kind, target_id = targets[0]
    now = timezone.now()
    given = visited_at is not None  # a retry without a time is compared without it
    visited_at = visited_at or now
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    findings = (findings or "").strip()
    photos = photos or []
    _check(purpose=purpose, findings=findings, visited_at=visited_at, now=now, lon=lon, lat=lat, photos=photos)
    if client_key and (stored := _stored(actor, client_key)) is not None:
        return _replay(stored, kind, target_id, purpose, findings, visited_at if given else None), False
    target = selectors.access_target(actor, kind, target_id)
    try:
        with photo_files_guard(), transaction.atomic():  # rolled back: the photo files saved go too
            visit = Visit.objects.create(
                worker=actor, visited_at=visited_at, client_key=client_key, grid_id=target.grid_id,
                region_path=target.grid.path, purpose=purpose, findings=findings, lon=lon, lat=lat,
                **{kind: target})
            for image in photos:
                file, thumbnail = photo_files_save(image)
                VisitPhoto.objects.create(visit=visit, file=file, thumbnail=thumbnail, sha256=image.sha256,
                                          taken_at=image.taken_at, lon=image.lon, lat=image.lat)
            audit_record(actor=actor, action="visit.record", obj=visit, ip=ip,
                         detail={"target": kind, "target_id": target.pk, "purpose": purpose,
                                 "photos": len(photos)})
    except IntegrityError:  # a concurrent request with the same client_key won: answer with its visit
        stored = _stored(actor, client_key) if client_key else None
        if stored is None:
            raise
        return _replay(stored, kind, target_id, purpose, findings, visited_at if given else None), False
    return visit, True


def _check(*, purpose, findings, visited_at, now, lon, lat, photos):
    if purpose not in VisitPurpose.values:
        raise ValidationFailed(_("Unknown purpose %(value)s.") % {"value": purpose}, field="purpose")
    if len(findings) > MAX_FINDINGS:
        raise ValidationFailed(_("At most %(n)s characters.") % {"n": MAX_FINDINGS}, field="findings")
    past_moment(visited_at, "visited_at", now=now, message=_("The visit time lies in the future."))
    if (lon is None) != (lat is None):
        raise ValidationFailed(_("Give both longitude and latitude, or neither."), field="lon")
    if lon is not None and not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
                                and -90 <= lat <= 90):
        raise ValidationFailed(_("Coordinates must be WGS84 longitude/latitude in degrees."), field="lon")
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(_("At most %(n)s photos.") % {"n": MAX_PHOTOS}, field="photos")


def _stored(actor, client_key: str) -> Visit | None:
    return Visit.objects.filter(worker=actor, client_key=client_key).first()


def _replay(stored: Visit, kind, target_id, purpose, findings, visited_at) -> Visit:
    same = (getattr(stored, f"{kind}_id") == target_id and stored.purpose == purpose
            and stored.findings == findings
            and (visited_at is None or abs(stored.visited_at - visited_at) < dt.timedelta(seconds=1)))
    if not same:
        raise ValidationFailed(_("This client key was already used for a different visit."), field="client_key",
                               code="idempotency_mismatch")
    return stored
