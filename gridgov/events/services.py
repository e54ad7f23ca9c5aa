"""Writes to cases. ``event_report`` takes a case in from any channel (its first status and automatic moves are
planned by the workflow engine); ``event_transition`` hands every later move to the one gatekeeper,
``gridgov.common.workflow.move``, over the table and effects in ``events/workflow.py``.
"""

import datetime as dt
import logging
import math
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department
from gridgov.common.audit import audit_record
from gridgov.common.calendar import Deadline, deadline_after, past_moment
from gridgov.common.errors import ValidationFailed, too_long
from gridgov.common.photos import photo_files_delete, photo_files_guard, photo_files_save
from gridgov.common.workflow import allowed, move, plan
from gridgov.events import (
    notifications,  # outbox: notices and 12345 callbacks (gridgov/events/notifications.py)
)
from gridgov.events.choices import (
    Channel,
    PhotoKind,
    RejectReason,
    Status,
)
from gridgov.events.models import Assignment, Category, Event, Photo, Transition
from gridgov.events.routing import Decision, category_by_code, directory, route_event
from gridgov.events.workflow import ACTIONS, FLOW, PHOTO_KINDS, warn_at
from gridgov.regions.index import geo_index
from gridgov.regions.models import Region

EARTH_RADIUS_M = 6_371_000
log = logging.getLogger("gridgov.events")
# What a report may carry (the columns' sizes): longer is refused with both numbers (``too_long``), never cut.
DESCRIPTION_MAX, ADDRESS_MAX, REPORTER_NAME_MAX, REPORTER_PHONE_MAX = 2000, 200, 64, 32


@dataclass
class Report:
    """What a channel hands in. Photos are already processed (``gridgov.common.images``) and stored."""

    category_code: str
    description: str
    lon: float
    lat: float
    channel: str = Channel.WORKER
    address: str = ""
    occurred_at: dt.datetime | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    external_id: str = ""
    self_resolved: bool = False
    photo_count: int = 0  # every photo handed in, ``after_photo_count`` of them taken after the fix
    after_photo_count: int = 0
    attributes: list | None = None  # answers to the category's questions, checked (gridgov.events.attributes)


def photo_store(*, image, uploaded_by=None, event: Event | None = None, kind: str = PhotoKind.REPORT) -> Photo:
    """Store a processed image (``gridgov.common.images``) and its thumbnail under server-generated names. A photo
    stored without a case waits to be named in a report or a move; never attached, it is deleted after
    ``GRIDGOV_PHOTO_UNATTACHED_HOURS`` (``photo_prune_unattached``)."""
    with photo_files_guard():  # the row cannot be written: the files go too
        stored, thumb = photo_files_save(image)
        real = uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None
        return Photo.objects.create(event=event, kind=kind, file=stored, thumbnail=thumb, sha256=image.sha256,
                                    width=image.width, height=image.height, taken_at=image.taken_at, lon=image.lon,
                                    lat=image.lat, uploaded_by=real)


PHOTO_PRUNE = "events.photo_prune"  # outbox topic, hourly (registered in EventsConfig.ready)


@dataclass
class PhotosPruned:
    cutoff: dt.datetime
    deleted: int


def photo_prune_unattached(*, hours: int | None = None, batch: int = 500, dry_run: bool = False) -> PhotosPruned:
    """Delete the photos uploaded more than ``hours`` (``GRIDGOV_PHOTO_UNATTACHED_HOURS``) ago that were never
    attached to a case — uploaded ahead of a report that was never sent, or left by a refused one — with their files
    and thumbnails. A photo attached to a case is never touched, even one attached while this runs: each batch
    deletes only rows still unattached, inside its transaction, and only their files go, after the commit. One audit
    row and one log line with the count (nothing else: the uploader's photos are personal data)."""
    hours = settings.GRIDGOV_PHOTO_UNATTACHED_HOURS if hours is None else hours
    if hours < 0:
        raise ValueError("hours must be 0 or more")
    cutoff = timezone.now() - dt.timedelta(hours=hours)
    stale = Photo.objects.filter(event__isnull=True, uploaded_at__lt=cutoff)
    if dry_run:
        return PhotosPruned(cutoff=cutoff, deleted=stale.count())
    deleted = 0
    while rows := list(stale.order_by("id").values_list("id", "file", "thumbnail")[:batch]):
        ids = [pk for pk, _file, _thumb in rows]
        with transaction.atomic():
            Photo.objects.filter(pk__in=ids, event__isnull=True).delete()
            attached_meanwhile = set(Photo.objects.filter(pk__in=ids).values_list("id", flat=True))
            gone = [(file, thumb) for pk, file, thumb in rows if pk not in attached_meanwhile]
            files = [name for pair in gone for name in pair]
            transaction.on_commit(lambda files=files: photo_files_delete(files))
        deleted += len(gone)
        if len(rows) < batch:
            break
    if deleted:
        audit_record(actor=None, action="photo.prune", object_type=Photo._meta.label_lower,
                     detail={"deleted": deleted, "older_than_hours": hours, "cutoff": cutoff.isoformat()})
        log.info("photos: deleted %d never attached, uploaded before %s", deleted, cutoff.isoformat())
    return PhotosPruned(cutoff=cutoff, deleted=deleted)


def photo_prune_handle(payload: dict) -> None:
    """Outbox handler of ``events.photo_prune``, queued hourly by ``gridgov worker``."""
    photo_prune_unattached()


def _distance_m(lon1, lat1, lon2, lat2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def find_duplicate(*, category: Category, lon: float, lat: float, at: dt.datetime) -> Event | None:
    """The first open report of the same category within the radius and time window (首报 keeps the credit).
    One fixed statement on the (category, lat) index — a band twice the radius tall, so a handful of rows however
    large the table — then the exact distance and the earliest report are found here."""
    radius = settings.GRIDGOV_DUPLICATE_RADIUS_M
    window = dt.timedelta(hours=settings.GRIDGOV_DUPLICATE_WINDOW_HOURS)
    dlat = radius / 111_000
    dlon = radius / (111_000 * max(math.cos(math.radians(lat)), 0.01))
    with connection.cursor() as cursor:
        cursor.execute(_DUPLICATE_SQL, [category.pk, lat - dlat, lat + dlat, lon - dlon, lon + dlon,
                                        connection.ops.adapt_datetimefield_value(at - window),
                                        *_CLOSED_FOR_DUPLICATES])
        near = [(reported_at, pk) for pk, other_lon, other_lat, reported_at in cursor.fetchall()
                if _distance_m(lon, lat, other_lon, other_lat) <= radius]
    return Event.objects.get(pk=min(near)[1]) if near else None


_CLOSED_FOR_DUPLICATES = [Status.REJECTED, Status.CANCELLED, Status.ARCHIVED]
# No ORDER BY on purpose: with it SQLite walks the (category, reported_at) index, every report of the category in
# the window; without it both databases take the narrow latitude band of event_category_lat_idx.
_DUPLICATE_SQL = (f"SELECT id, lon, lat, reported_at FROM {Event._meta.db_table} WHERE category_id = %s "
                  "AND lat BETWEEN %s AND %s AND lon BETWEEN %s AND %s AND reported_at >= %s "
                  "AND duplicate_of_id IS NULL AND status NOT IN (%s, %s, %s)")


def _category(code: str) -> Category:
    """A fileable, active category from the in-memory taxonomy (``routing.directory``; no query per intake)."""
    category = category_by_code(code)
    if category is None or not category.is_active:
        raise ValidationFailed(_("Unknown category %(code)s.") % {"code": code}, field="category")
    if not category.fileable:
        raise ValidationFailed(_("Choose a subclass of %(name)s, not the whole class.") % {"name": category.name},
                               field="category")
    return category


def _new_number(event: Event) -> str:
    return f"SJ{timezone.localdate():%Y%m%d}{event.pk:08d}"


@dataclass
class Intake:
    """A report with everything decided that needs no lock: category, grid, route and deadline (``event_prepare``).
    Only the duplicate check and the writes are left for the transaction (``event_file``)."""

    report: Report
    category: Category
    description: str
    grid: Region  # a stand-in built from the geo index: id, code, name, level, parent and path
    now: dt.datetime
    decision: Decision | None = None
    deadline: Deadline | None = None


def _grid_from_index(grid_id: int) -> Region:
    chain = geo_index.chain(grid_id)
    finest = chain[-1]
    return Region(id=finest.id, code=finest.code, name=finest.name, level=finest.level, parent_id=finest.parent_id,
                  path="/" + "".join(f"{r.code}/" for r in chain))


def event_prepare(*, report: Report) -> Intake:
    """Check a report and decide where it goes, without writing or locking anything. Every problem is reported at
    once (``ValidationFailed`` naming the first, with all of them in ``details``)."""
    problems: list[ValidationFailed] = []
    try:
        category = _category(report.category_code)
    except ValidationFailed as exc:
        category = None
        problems.append(exc)
    description = (report.description or "").strip()
    if not description:
        problems.append(ValidationFailed(_("Describe what is wrong."), field="description"))
    elif len(description) > DESCRIPTION_MAX:
        problems.append(ValidationFailed(too_long(DESCRIPTION_MAX, len(description)), field="description"))
    for field, value, limit in (("address", report.address, ADDRESS_MAX), ("reporter_name", report.reporter_name,
                                 REPORTER_NAME_MAX), ("reporter_phone", report.reporter_phone, REPORTER_PHONE_MAX)):
        if len(value or "") > limit:
            problems.append(ValidationFailed(too_long(limit, len(value)), field=field))
    grid_id = None
    if report.occurred_at is not None:
        try:
            report.occurred_at = past_moment(report.occurred_at, "occurred_at")
        except ValidationFailed as exc:
            problems.append(exc)
    if not (-180 <= report.lon <= 180 and -90 <= report.lat <= 90):
        problems.append(ValidationFailed(_("Coordinates must be WGS84 longitude/latitude in degrees."), field="lon"))
    elif (grid_id := geo_index.locate_id(report.lon, report.lat)) is None:
        problems.append(ValidationFailed(_("This point lies outside the district's grids."), field="lon",
                                         code="outside"))
    if category is not None and category.photo_required_report and report.photo_count == 0 \
            and report.channel == Channel.WORKER:
        problems.append(ValidationFailed(_("A photo is required to report %(name)s.") % {"name": category.name},
                                         field="photos"))
    if report.after_photo_count and not report.self_resolved:
        problems.append(ValidationFailed(_("Photos after the fix are only for a case you solved on the spot: tick "
                                           "that box, or leave them out."), field="after_photos"))
    if report.self_resolved and report.photo_count - report.after_photo_count < 1:
        problems.append(ValidationFailed(_("A case solved on the spot needs a photo before and a photo after."),
                                         field="photos"))
    if report.self_resolved and report.after_photo_count < 1:
        problems.append(ValidationFailed(_("A case solved on the spot needs a photo before and a photo after."),
                                         field="after_photos"))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ValidationFailed(problems[0].message, field=problems[0].field,
                               details=[{"field": p.field, "message": str(p.message)} for p in problems])
    intake = Intake(report=report, category=category, description=description, grid=_grid_from_index(grid_id),
                    now=timezone.now())
    if not report.self_resolved:
        intake.decision = route_event(category=category, grid_path=intake.grid.path)
        if intake.decision.automatic:
            intake.deadline = deadline_after(intake.now, category.time_limit, category.time_unit)
    return intake


def event_file(*, actor, intake: Intake) -> Event:
    """Write a prepared report in its final state: the event, its transitions, assignments, the departments' notice
    and the audit row — one statement each. Runs inside the caller's transaction (``event_report``, or the
    idempotent create of the API, which writes its key in the same transaction)."""
    report, category, now = intake.report, intake.category, intake.now
    reporter = actor if getattr(actor, "is_authenticated", False) else None
    event = Event(
        number=f"T{uuid.uuid4().hex[:30]}",  # a placeholder: the dated number needs the id, set just below
        category=category, description=intake.description,
        address=report.address, lon=report.lon, lat=report.lat, grid=intake.grid,
        region_path=intake.grid.path, channel=report.channel, external_id=report.external_id,
        case_type=category.case_type, reporter=reporter, reporter_name=report.reporter_name,
        reporter_phone=report.reporter_phone, occurred_at=report.occurred_at or now, reported_at=now,
        attributes=report.attributes or [],
    )
    automatic: list[tuple[str, dict, str]] = []  # system moves made at once, checked against the table by plan()
    joint: list[int] = []
    if report.self_resolved:
        automatic.append(("self_resolve", {}, ""))
        event.self_resolved, event.closed_at, event.handled_at = True, now, now
    elif (first := find_duplicate(category=category, lon=report.lon, lat=report.lat, at=now)) is not None:
        event.duplicate_of, event.reject_reason = first, RejectReason.DUPLICATE
        automatic.append(("reject", {"duplicate_of": first.number},
                          _("Duplicate of %(number)s.") % {"number": first.number}))
    elif intake.decision.automatic:
        decision, deadline = intake.decision, intake.deadline
        joint = [d for d in dict.fromkeys(decision.joint_ids) if d != decision.lead_id]
        event.deadline, event.deadline_estimated = deadline.due, deadline.estimated
        event.warn_at = warn_at(now, deadline.due)
        event.dispatched_at, event.auto_dispatched = now, True
        event.lead_department = (directory.department_objects.get(decision.lead_id)
                                 or Department.objects.get(pk=decision.lead_id))
        automatic.append(("auto_dispatch", {"lead": decision.lead_id, "joint": decision.joint_ids,
                                            "deadline": deadline.due.isoformat()}, ""))
    else:
        event.manual_reason = intake.decision.manual_reason
    planned = plan(FLOW, actor=actor, data={"channel": report.channel}, then=automatic)
    event.status, transitions = planned.status, planned.transitions
    event.save(force_insert=True)
    event.number = _new_number(event)
    Event.objects.filter(pk=event.pk).update(number=event.number)
    for transition in transitions:
        transition.event = event
    transitions = Transition.objects.bulk_create(transitions)
    notifications.enqueue_hotline_callbacks(event, transitions)  # outbox: 12345 result callbacks (hotline only)
    if event.lead_department_id:
        Assignment.objects.bulk_create([Assignment(event=event, department_id=event.lead_department_id,
                                                   is_lead=True)] +
                                       [Assignment(event=event, department_id=d) for d in joint])
        notifications.enqueue_assigned(event, [event.lead_department_id, *joint])  # outbox: tell the departments
    audit_record(actor=actor, action="event.report", obj=event, detail={"channel": report.channel,
                                                                        "status": event.status})
    return event


def event_report(*, actor, report: Report) -> Event:
    """Take a case in: locate it, file it, link duplicates, route it and dispatch it when the rules are clear.
    The decisions are made before the write transaction, so the database is locked only for the writes."""
    intake = event_prepare(report=report)
    with transaction.atomic():
        return event_file(actor=actor, intake=intake)


def event_transition(*, actor, event_id: int, action: str, version: int | None, reason: str = "",
                     data: dict | None = None) -> Event:
    """Move a case: the one gatekeeper (``gridgov.common.workflow.move``) over the table in ``events/workflow.py``.
    Photos (``data["photo_count"]``) go only with the moves in ``PHOTO_KINDS``."""
    if (data or {}).get("photo_count") and action not in PHOTO_KINDS:
        labels = "、".join(str(ACTIONS[a].label) for a in PHOTO_KINDS)
        raise ValidationFailed(_("Photos go only with these moves: %(moves)s.") % {"moves": labels}, field="photos")
    return move(FLOW, actor=actor, pk=event_id, action=action, version=version, reason=reason, data=data)


def event_allowed(event: Event, actor) -> list[dict]:
    """The moves ``actor`` may make on the case now: ``[{"action", "label"}]``."""
    return allowed(FLOW, event, actor)
