"""Writes to cases. ``event_report`` takes a case in from any channel; ``event_transition`` is the only code that
changes a case's status: it locks the row, checks the version (409 on a stale one), refuses illegal moves with the
moves that are allowed, checks who may act, applies the move's effects and records it.
"""

import datetime as dt
import math
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department
from gridgov.common.audit import audit_record
from gridgov.common.calendar import Deadline, deadline_after
from gridgov.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.common.photos import photo_files_save
from gridgov.events import (
    notifications,  # outbox: notices and 12345 callbacks (gridgov/events/notifications.py)
)
from gridgov.events.choices import (
    Channel,
    PhotoKind,
    RejectReason,
    Satisfaction,
    Status,
)
from gridgov.events.models import Assignment, Category, Event, Photo, Transition
from gridgov.events.routing import Decision, category_by_code, directory, route_event
from gridgov.events.workflow import ACTIONS, SYSTEM, allowed_actions
from gridgov.regions.index import geo_index
from gridgov.regions.models import Region

EARTH_RADIUS_M = 6_371_000


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
    photo_count: int = 0


def photo_store(*, image, uploaded_by=None, event: Event | None = None, kind: str = PhotoKind.REPORT) -> Photo:
    """Store a processed image (``gridgov.common.images``) and its thumbnail under server-generated names."""
    stored, thumb = photo_files_save(image)
    real = uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None
    return Photo.objects.create(event=event, kind=kind, file=stored, thumbnail=thumb, sha256=image.sha256,
                                width=image.width, height=image.height, taken_at=image.taken_at, lon=image.lon,
                                lat=image.lat, uploaded_by=real)


def _actor_name(actor) -> str:
    return getattr(actor, "username", None) or SYSTEM


def _record(event: Event, *, action: str, from_status: str, actor, reason: str = "", data=None) -> Transition:
    real = actor if getattr(actor, "is_authenticated", False) else None
    transition = Transition.objects.create(event=event, action=action, from_status=from_status,
                                           to_status=event.status, actor=real, actor_name=_actor_name(actor),
                                           reason=reason, data=data or {})
    notifications.enqueue_hotline_callback(event, transition)  # outbox: 12345 result callback (hotline cases only)
    return transition


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
    """Check a report and decide where it goes, without writing or locking anything."""
    category = _category(report.category_code)
    description = (report.description or "").strip()
    if not description:
        raise ValidationFailed(_("Describe what is wrong."), field="description")
    if len(description) > 2000:
        raise ValidationFailed(_("At most %(n)s characters.") % {"n": 2000}, field="description")
    if not (-180 <= report.lon <= 180 and -90 <= report.lat <= 90):
        raise ValidationFailed(_("Coordinates must be WGS84 longitude/latitude in degrees."), field="lon")
    grid_id = geo_index.locate_id(report.lon, report.lat)
    if grid_id is None:
        raise ValidationFailed(_("This point lies outside the district's grids."), field="lon", code="outside")
    if category.photo_required_report and report.photo_count == 0 and report.channel == Channel.WORKER:
        raise ValidationFailed(_("A photo is required to report %(name)s.") % {"name": category.name},
                               field="photos")
    if report.self_resolved and report.photo_count < 2:
        raise ValidationFailed(_("A case solved on the spot needs a photo before and a photo after."),
                               field="photos")
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
        address=report.address[:200], lon=report.lon, lat=report.lat, grid=intake.grid,
        region_path=intake.grid.path, channel=report.channel, external_id=report.external_id,
        case_type=category.case_type, reporter=reporter, reporter_name=report.reporter_name[:64],
        reporter_phone=report.reporter_phone[:32], occurred_at=report.occurred_at or now, reported_at=now,
    )
    moves = [("report", "", {"channel": report.channel}, "")]
    joint: list[int] = []
    if report.self_resolved:
        moves.append(("self_resolve", SYSTEM, {}, ""))
        event.self_resolved, event.closed_at, event.handled_at = True, now, now
    elif (first := find_duplicate(category=category, lon=report.lon, lat=report.lat, at=now)) is not None:
        event.duplicate_of, event.reject_reason = first, RejectReason.DUPLICATE
        moves.append(("reject", SYSTEM, {"duplicate_of": first.number},
                      _("Duplicate of %(number)s.") % {"number": first.number}))
    elif intake.decision.automatic:
        decision, deadline = intake.decision, intake.deadline
        joint = [d for d in dict.fromkeys(decision.joint_ids) if d != decision.lead_id]
        event.deadline, event.deadline_estimated = deadline.due, deadline.estimated
        event.warn_at = _warn_at(now, deadline.due)
        event.dispatched_at, event.auto_dispatched = now, True
        event.lead_department = (directory.department_objects.get(decision.lead_id)
                                 or Department.objects.get(pk=decision.lead_id))
        moves.append(("auto_dispatch", SYSTEM, {"lead": decision.lead_id, "joint": decision.joint_ids,
                                                "deadline": deadline.due.isoformat()}, ""))
    else:
        event.manual_reason = intake.decision.manual_reason
    status, transitions = "", []
    for action, who, data, reason in moves:
        before, status = status, (Status.REPORTED if action == "report" else ACTIONS[action].target or status)
        by_actor = who == ""
        transitions.append(Transition(action=action, from_status=before, to_status=status, reason=reason,
                                      actor=reporter if by_actor else None,
                                      actor_name=_actor_name(actor) if by_actor else SYSTEM, data=data))
    event.status = status
    event.save(force_insert=True)
    event.number = _new_number(event)
    Event.objects.filter(pk=event.pk).update(number=event.number)
    for transition in transitions:
        transition.event = event
    transitions = Transition.objects.bulk_create(transitions)
    for transition in transitions:
        notifications.enqueue_hotline_callback(event, transition)  # outbox: 12345 result callback (hotline only)
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


def _apply(event: Event, action: str, *, actor, reason: str = "", data=None) -> Transition:
    move = ACTIONS[action]
    before = event.status
    if move.target:
        event.status = move.target
    return _record(event, action=action, from_status=before, actor=actor, reason=reason, data=data)


def _warn_at(start: dt.datetime, due: dt.datetime) -> dt.datetime:
    """About to expire once less than GRIDGOV_WARN_SHARE of the time allowed is left (derived, never a timer)."""
    return due - (due - start) * settings.GRIDGOV_WARN_SHARE


def _dispatch(event: Event, *, lead_id: int, joint_ids: list[int], now: dt.datetime):
    category = event.category
    deadline = deadline_after(now, category.time_limit, category.time_unit)
    event.deadline, event.deadline_estimated = deadline.due, deadline.estimated
    event.warn_at = _warn_at(now, deadline.due)
    event.dispatched_at, event.lead_department_id = now, lead_id
    Assignment.objects.filter(event=event, active=True).update(active=False)
    Assignment.objects.bulk_create([Assignment(event=event, department_id=lead_id, is_lead=True)] +
                                   [Assignment(event=event, department_id=d) for d in joint_ids if d != lead_id])
    notifications.enqueue_assigned(event, [lead_id, *joint_ids])  # outbox: notify the departments' handlers


# --- the gatekeeper ------------------------------------------------------------------------------------------------
def event_transition(*, actor, event_id: int, action: str, version: int | None, reason: str = "",
                     data: dict | None = None) -> Event:
    data = data or {}
    with transaction.atomic():
        event = Event.objects.select_for_update().select_related("category").filter(pk=event_id).first()
        if event is None or not Event.objects.restrict(actor).filter(pk=event_id).exists():
            raise NotFound(_("No such case, or it is outside your area."))
        move = ACTIONS.get(action)
        if move is None or move.roles == {SYSTEM}:  # automatic steps are not for people to take
            raise ValidationFailed(_("Unknown action %(action)s.") % {"action": action}, field="action",
                                   details=_allowed(event, actor))
        if version is not None and version != event.version:
            raise Conflict(_("Someone else changed this case first: it is now %(status)s (version %(version)d).")
                           % {"status": event.get_status_display(), "version": event.version},
                           details=[{"status": event.status, "version": event.version}])
        if event.status not in move.sources:
            allowed = _allowed(event, actor)
            raise ValidationFailed(
                _("A case that is %(status)s cannot be %(action)s. Allowed now: %(allowed)s.")
                % {"status": event.get_status_display(), "action": move.label,
                   "allowed": "、".join(a["label"] for a in allowed) or _("nothing")},
                field="action", code="illegal_move", details=allowed)
        if actor.role not in move.roles:
            raise PermissionDenied(_("Your role may not %(action)s this case.") % {"action": move.label})
        if actor.role == "dept_handler" and not event.assignments.filter(department_id=actor.department_id,
                                                                          active=True).exists():
            raise PermissionDenied(_("This case is no longer with your department."))
        EFFECTS.get(action, _no_effect)(event, actor=actor, reason=reason, data=data)
        transition = _apply(event, action, actor=actor, reason=reason, data=_public(data))
        event.version = F("version") + 1
        event.save()
        event.refresh_from_db()
        audit_record(actor=actor, action=f"event.{action}", obj=event,
                     detail={"from": transition.from_status, "to": event.status})
    return event


def _allowed(event: Event, actor) -> list[dict]:
    return [{"action": a, "label": str(ACTIONS[a].label)} for a in allowed_actions(event.status, actor.role)]


def _public(data: dict) -> dict:
    return {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool, list)) or v is None}


def _no_effect(event, **kwargs):
    pass


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
    _dispatch(event, lead_id=lead, joint_ids=joint, now=timezone.now())
    event.manual_reason = ""


def _effect_return(event, *, reason, **kw):
    _need_reason(reason)
    event.return_count += 1
    Assignment.objects.filter(event=event, active=True).update(active=False)
    event.lead_department = None


def _effect_feedback(event, *, data, **kw):
    if event.category.photo_required_close and not data.get("photo_count"):
        raise ValidationFailed(_("A photo of the result is required to close %(name)s.")
                               % {"name": event.category.name}, field="photos")
    event.handled_at = timezone.now()


def _effect_verify(event, **kw):
    event.closed_at = timezone.now()


def _effect_rework(event, *, reason, **kw):
    _need_reason(reason)
    event.rework_count += 1


def _effect_rate(event, *, data, **kw):
    value = data.get("satisfaction")
    if value not in Satisfaction.values:
        raise ValidationFailed(_("Choose satisfied, basically satisfied or unsatisfied."), field="satisfaction")
    event.satisfaction, event.satisfaction_comment = value, str(data.get("comment", ""))[:500]


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
    event.warn_at = _warn_at(timezone.now(), extended.due)
    event.extension_count += 1
    data["deadline"] = extended.due.isoformat()


def _effect_supervise(event, **kw):
    event.supervised = True
    notifications.enqueue_supervised(event)  # outbox: notify the lead department's handlers


ESCALATION = ["community", "street", "district"]  # 小事不出村、大事不出镇、矛盾不上交


def _effect_escalate(event, *, reason, **kw):
    """One level up from where the case is handled now: the grid's community, then the street, the district."""
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


EFFECTS = {
    "reject": _effect_reject, "dispatch": _effect_dispatch, "return": _effect_return, "feedback": _effect_feedback,
    "verify": _effect_verify, "rework": _effect_rework, "rate": _effect_rate,
    "approve_extension": _effect_approve_extension, "supervise": _effect_supervise, "escalate": _effect_escalate,
    "cancel": _effect_cancel, "request_extension": lambda event, reason, **kw: _need_reason(reason),
}
