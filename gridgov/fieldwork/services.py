"""Writes of field patrols: GPS ingest, patrol sessions, the daily summaries, schedules, anomaly review.

``patrol_points_ingest`` is the hot path (QUALITY.md: >= 50,000 points/s in batches of 200–1,000). It validates each
point in plain Python, rejects the bad ones individually with their index and reason, and writes the rest with one
statement: ``INSERT … ON CONFLICT (worker, recorded_at) DO NOTHING`` (executemany on SQLite; one ``unnest`` of arrays
on PostgreSQL), so a re-sent batch inserts nothing twice. Raw points are never updated. The worker-days a batch
touched are recomputed later by ``gridgov worker`` (an outbox message per worker-day and minute, deduplicated), so the
ingest never reads the day's points back.
"""

import datetime as dt
import math
import time
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.audit import audit_record
from gridgov.common.errors import NotFound, PermissionDenied, ValidationFailed, check_length
from gridgov.common.models import AuditLog
from gridgov.common.outbox import Message, outbox_put_many
from gridgov.common.roles import Role
from gridgov.common.scoping import Territory
from gridgov.common.workflow import move
from gridgov.fieldwork import track
from gridgov.fieldwork.choices import PatrolKind
from gridgov.fieldwork.models import (
    PATROL_ROLES,
    Anomaly,
    GpsPoint,
    PatrolDay,
    PatrolSchedule,
    PatrolSession,
)
from gridgov.fieldwork.workflow import FLOW
from gridgov.regions.geometry import load
from gridgov.regions.index import geo_index

MAX_BATCH = 1000
BBOX_MARGIN_DEG = 0.05  # about 5 km around the district's bounding box
TRACK_ACCURACY_M = 100  # fixes less accurate than this are stored but left out of distances and coverage
MIN_PATROL_DISTANCE_M = 500  # a "patrol" that covers less than this is not a patrol day, however long it lasts
DAY_TOPIC = "fieldwork.patrol_day"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# ======================================================================================================================
# GPS ingest
# ======================================================================================================================
@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    days: list[dt.date] = field(default_factory=list)
    session_id: int | None = None

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected,
                "days": [d.isoformat() for d in self.days], "session": self.session_id}


_bbox_cache: dict = {}


def district_bbox() -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the territory plus a margin; cached for a minute."""
    cached = _bbox_cache.get("bbox")
    if cached and time.monotonic() - cached[0] < 60:
        return cached[1]
    from django.db.models import Max, Min

    from gridgov.regions.choices import Level
    from gridgov.regions.models import Region

    box = Region.objects.filter(level=Level.DISTRICT).exclude(bbox_w=None).aggregate(
        w=Min("bbox_w"), s=Min("bbox_s"), e=Max("bbox_e"), n=Max("bbox_n"))
    value = None if box["w"] is None else (box["w"] - BBOX_MARGIN_DEG, box["s"] - BBOX_MARGIN_DEG,
                                           box["e"] + BBOX_MARGIN_DEG, box["n"] + BBOX_MARGIN_DEG)
    _bbox_cache["bbox"] = (time.monotonic(), value)
    return value


def _reason(index: int, field_name: str, code: str, message) -> dict:
    return {"index": index, "field": field_name, "code": code, "message": str(message)}


def _number(value) -> float | None:
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int:
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _epoch_ms(value) -> int | str:
    """Milliseconds since the epoch, or an error code."""
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return "bad_time"
        if moment.tzinfo is None:
            return "no_offset"
        return round((moment - _EPOCH) / dt.timedelta(milliseconds=1))
    if type(value) is int:
        return value
    number = _number(value)
    if number is None:
        return "bad_time"
    return round(number)


def _check_actor(actor) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.role not in PATROL_ROLES:
        raise PermissionDenied(_("Only grid workers and grid leaders record patrols."))


def _fast_check(points: list, limits: tuple) -> tuple[list, list[int]]:
    """Vectorised checks for the common batch (numbers only): the good points, and the indexes to examine one by one
    (anything unusual: ISO times, missing or odd values, a check failed) so that each gets its reason."""
    latest, earliest, west, south, east, north, max_accuracy = limits
    try:
        ts = [p["t"] for p in points]
        lons = [p["lon"] for p in points]
        lats = [p["lat"] for p in points]
        accs = [p.get("accuracy") for p in points]
    except (TypeError, KeyError, AttributeError):
        return [], list(range(len(points)))
    numbers = {int, float}
    if set(map(type, ts)) == {str}:  # ISO 8601 times: parse them here; any odd one sends the batch the slow way
        ts = [_epoch_ms(v) for v in ts]
    if not (set(map(type, ts)) | set(map(type, lons)) | set(map(type, lats))) <= numbers or \
            not set(map(type, accs)) <= {int, float, type(None)}:
        return [], list(range(len(points)))
    t = np.array(ts, dtype=float)
    lon = np.array(lons, dtype=float)
    lat = np.array(lats, dtype=float)
    acc = np.array([np.nan if a is None else a for a in accs], dtype=float)
    with np.errstate(invalid="ignore"):
        ok = (np.isfinite(t) & (t <= latest) & (t >= earliest) & (lon >= west) & (lon <= east) & (lat >= south)
              & (lat <= north) & (np.isnan(acc) | ((acc >= 0) & (acc <= max_accuracy))))
    ms = np.round(np.where(ok, t, 0)).astype(np.int64).tolist()
    flags = ok.tolist()
    good = [(m, x, y, a) for m, x, y, a, f in zip(ms, lons, lats, accs, flags) if f]
    good = [(m, float(x), float(y), None if a is None else float(a)) for m, x, y, a in good]
    return good, [i for i, f in enumerate(flags) if not f]


def _slow_check(points: list, indexes: list[int], limits: tuple, rejected: list) -> list:
    """One point at a time, with the reason for each refusal."""
    latest, earliest, west, south, east, north, max_accuracy = limits
    good = []
    for index in indexes:
        p = points[index]
        if not isinstance(p, dict):
            rejected.append(_reason(index, "", "not_an_object", _("Each point must be an object.")))
            continue
        ms = _epoch_ms(p.get("t"))
        if isinstance(ms, str):
            message = (_("The time needs a UTC offset, e.g. 2026-05-01T08:30:00+08:00.") if ms == "no_offset" else
                       _("The time must be ISO 8601 with an offset or milliseconds since 1970."))
            rejected.append(_reason(index, "t", ms, message))
            continue
        if ms > latest:
            rejected.append(_reason(index, "t", "future", _("The time is in the future.")))
            continue
        if ms < earliest:
            rejected.append(_reason(index, "t", "too_old", _("The point is older than %(days)d days.")
                                    % {"days": settings.GRIDGOV_GPS_MAX_AGE_DAYS}))
            continue
        lon, lat = _number(p.get("lon")), _number(p.get("lat"))
        if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            rejected.append(_reason(index, "lon" if lon is None or not -180 <= lon <= 180 else "lat",
                                    "bad_coordinates", _("Not a valid longitude and latitude.")))
            continue
        if not (west <= lon <= east and south <= lat <= north):
            rejected.append(_reason(index, "lon", "outside_district", _("The point is far outside the district.")))
            continue
        accuracy = p.get("accuracy")
        if accuracy is not None:
            accuracy = _number(accuracy)
            if accuracy is None or not 0 <= accuracy <= max_accuracy:
                rejected.append(_reason(index, "accuracy", "bad_accuracy",
                                        _("The accuracy must be between 0 and %(m)d metres.") % {"m": max_accuracy}))
                continue
        good.append((ms, lon, lat, accuracy))
    return good


def _session_for_key(*, worker, client_key: str, started_at: dt.datetime) -> PatrolSession:
    PatrolSession.objects.bulk_create([PatrolSession(worker=worker, client_key=client_key, started_at=started_at)],
                                      ignore_conflicts=True)
    return PatrolSession.objects.get(worker=worker, client_key=client_key)


def patrol_points_ingest(*, actor, points: list, session_key: str | None = None,
                         now: dt.datetime | None = None) -> IngestResult:
    """Store a batch of the actor's GPS points. Each point: ``{"t": ISO 8601 with offset or epoch ms, "lon", "lat",
    "accuracy"?}``. Bad points are rejected one by one (index, field, reason); the rest are inserted once."""
    _check_actor(actor)
    if not isinstance(points, list):
        raise ValidationFailed(_("Must be a list."), field="points")
    if len(points) > MAX_BATCH:
        raise ValidationFailed(_("At most %(n)d points in one batch.") % {"n": MAX_BATCH}, field="points",
                               code="batch_too_large")
    now = now or timezone.now()
    now_ms = round((now - _EPOCH) / dt.timedelta(milliseconds=1))
    latest = now_ms + settings.GRIDGOV_GPS_MAX_FUTURE_SECONDS * 1000
    earliest = now_ms - settings.GRIDGOV_GPS_MAX_AGE_DAYS * 86_400_000
    max_accuracy = settings.GRIDGOV_GPS_MAX_ACCURACY_M
    box = district_bbox()
    west, south, east, north = box if box else (-180.0, -90.0, 180.0, 90.0)
    result = IngestResult()
    limits = (latest, earliest, west, south, east, north, max_accuracy)
    good, slow = _fast_check(points, limits)
    if slow:
        good += _slow_check(points, slow, limits, result.rejected)
    if not good:
        return result
    good.sort()
    with transaction.atomic():
        if session_key:
            session = _session_for_key(worker=actor, client_key=str(session_key)[:64],
                                       started_at=_EPOCH + dt.timedelta(milliseconds=good[0][0]))
            result.session_id = session.pk
        result.accepted = _insert_points(actor.pk, result.session_id, good, now)
        result.duplicates = len(good) - result.accepted
        result.days = _local_days(good)
        if result.accepted:
            _queue_days(actor.pk, result.days)
        # the same row as audit_record() writes, inserted without the per-object save() machinery (hot path)
        AuditLog.objects.bulk_create([AuditLog(
            actor=actor, actor_name=actor.username, action="patrol.points_ingest", object_type="fieldwork.gpspoint",
            object_id=str(actor.pk), detail={"accepted": result.accepted, "duplicates": result.duplicates,
                                             "rejected": len(result.rejected), "session": result.session_id})])
    return result


def _insert_points(worker_id: int, session_id: int | None, good: list, now: dt.datetime) -> int:
    table = GpsPoint._meta.db_table
    columns = "worker_id, session_id, recorded_at, received_at, lon, lat, accuracy_m"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT %s, %s, u.r, %s, u.x, u.y, u.a FROM "
                "unnest(%s::timestamptz[], %s::float8[], %s::float8[], %s::float8[]) AS u(r, x, y, a) "
                "ON CONFLICT (worker_id, recorded_at) DO NOTHING",
                [worker_id, session_id, now, [_EPOCH + dt.timedelta(milliseconds=g[0]) for g in good],
                 [g[1] for g in good], [g[2] for g in good], [g[3] for g in good]])
            return cursor.rowcount
        received = str(now.astimezone(dt.UTC).replace(tzinfo=None))
        rows = [(worker_id, session_id, sqlite_datetime(ms), received, lon, lat, acc) for ms, lon, lat, acc in good]
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                           "ON CONFLICT (worker_id, recorded_at) DO NOTHING", rows)
        return cursor.rowcount


_minute_prefix: dict[int, str] = {}


def sqlite_datetime(ms: int) -> str:
    """The text Django's SQLite backend stores for this UTC instant: str() of the naive datetime,
    "YYYY-MM-DD HH:MM:SS" plus ".ffffff" unless the microseconds are 0 (the unique key must match byte for byte)."""
    minute, rest = divmod(ms, 60_000)
    prefix = _minute_prefix.get(minute)
    if prefix is None:
        if len(_minute_prefix) > 10_000:
            _minute_prefix.clear()
        prefix = _minute_prefix[minute] = (_EPOCH + dt.timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:")
    seconds, millis = divmod(rest, 1000)
    return f"{prefix}{seconds:02d}.{millis:03d}000" if millis else f"{prefix}{seconds:02d}"


def _local_days(good: list) -> list[dt.date]:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    hours = {ms // 3_600_000 for ms, *_ in good}  # offsets change on whole hours at most
    return sorted({(_EPOCH + dt.timedelta(hours=h)).astimezone(tz).date() for h in hours})


_queued: set[str] = set()  # dedupe keys this process has committed: later batches of the minute skip the insert


def _queue_days(worker_id: int, days: list[dt.date]) -> None:
    """One recompute message per worker-day and minute: many batches in a minute cost one recompute, due after the
    minute ends (so it sees them all). One INSERT … ON CONFLICT DO NOTHING on the dedupe key for all the days
    (``outbox_put_many``; several processes may queue the same key); a key this process already committed is not
    written again."""
    now = time.time()
    minute = int(now // 60)
    available_at = _EPOCH + dt.timedelta(seconds=(minute + 1) * 60 + 5)
    keys = [(day, f"patrolday:{worker_id}:{day.isoformat()}:{minute}") for day in days]
    new = [Message(topic=DAY_TOPIC, payload={"worker": worker_id, "day": day.isoformat()}, dedupe_key=key,
                   available_at=available_at) for day, key in keys if key not in _queued]
    if not new:
        return
    outbox_put_many(new)
    written = [m.dedupe_key for m in new]

    def remember():
        if len(_queued) > 100_000:
            _queued.clear()
        _queued.update(written)

    transaction.on_commit(remember)


# ======================================================================================================================
# Patrol sessions
# ======================================================================================================================
def patrol_session_start(*, actor, client_key: str, kind: str = PatrolKind.DAILY,
                         started_at: dt.datetime | None = None, note: str = "") -> tuple[PatrolSession, bool]:
    """Start a patrol; the same client key again returns the session already started (created=False)."""
    _check_actor(actor)
    client_key = (client_key or "").strip()
    if not client_key or len(client_key) > 64:
        raise ValidationFailed(_("A client key of 1 to 64 characters is required."), field="client_key")
    if kind not in PatrolKind.values:
        raise ValidationFailed(_("Unknown kind of patrol."), field="kind")
    existing = PatrolSession.objects.filter(worker=actor, client_key=client_key).first()
    if existing:
        return existing, False
    note = check_length(note or "", 200, "note")
    with transaction.atomic():
        session = PatrolSession(worker=actor, client_key=client_key, kind=kind, note=note,
                                started_at=started_at or timezone.now())
        PatrolSession.objects.bulk_create([session], ignore_conflicts=True)
        session = PatrolSession.objects.get(worker=actor, client_key=client_key)
        audit_record(actor=actor, action="patrol.session_start", obj=session, detail={"kind": kind})
    return session, True


def patrol_session_end(*, actor, session_id: int, ended_at: dt.datetime | None = None) -> PatrolSession:
    """End one's own patrol (ending it again changes nothing)."""
    _check_actor(actor)
    with transaction.atomic():
        session = PatrolSession.objects.select_for_update().filter(pk=session_id, worker=actor).first()
        if session is None:
            raise NotFound(_("No such patrol."))
        if session.ended_at:
            return session
        ended_at = ended_at or timezone.now()
        if ended_at < session.started_at:
            raise ValidationFailed(_("A patrol cannot end before it started."), field="ended_at")
        session.ended_at = ended_at
        session.save(update_fields=["ended_at"])
        audit_record(actor=actor, action="patrol.session_end", obj=session)
    return session


# ======================================================================================================================
# Daily summaries
# ======================================================================================================================
def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def day_points(worker_id: int, day: dt.date) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The worker's points of a local day as arrays (t seconds, lon, lat, accuracy with NaN for none)."""
    start, end = day_bounds(day)
    rows = list(GpsPoint.objects.filter(worker_id=worker_id, recorded_at__gte=start, recorded_at__lt=end)
                .order_by("recorded_at").values_list("recorded_at", "lon", "lat", "accuracy_m"))
    t = np.array([r[0].timestamp() for r in rows], dtype=float)
    lon = np.array([r[1] for r in rows], dtype=float)
    lat = np.array([r[2] for r in rows], dtype=float)
    acc = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float)
    return t, lon, lat, acc


def clean_track(t, lon, lat, acc) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points that count for distances: accurate enough, spikes (jumps out and back) removed."""
    keep = ~(acc > TRACK_ACCURACY_M)
    t, lon, lat = t[keep], lon[keep], lat[keep]
    spikes = track.jump_points(t, lon, lat, max_speed_kmh=settings.GRIDGOV_PATROL_MAX_SPEED_KMH)
    if len(spikes):
        mask = np.ones(len(t), dtype=bool)
        mask[spikes] = False
        t, lon, lat = t[mask], lon[mask], lat[mask]
    return t, lon, lat


@dataclass
class OwnArea:
    region_ids: frozenset
    cells: frozenset
    origin: tuple[float, float]
    area_type: str


def own_area(worker) -> OwnArea:
    """The worker's grids and everything below them: region ids (for the index) and 50 m cells (for coverage)."""
    grids = list(worker.grids.exclude(status="retired").values_list("id", "path", "updated_at", "area_type"))
    key = tuple((g[0], g[1], g[2].isoformat()) for g in grids)
    return _own_area(key, grids[0][3] if grids else "urban")


@lru_cache(maxsize=256)
def _own_area(key: tuple, area_type: str) -> OwnArea:
    from gridgov.regions.models import Region

    if not key:
        return OwnArea(frozenset(), frozenset(), (0.0, 0.0), area_type)
    below = Territory(paths=tuple(path for _id, path, _at in key)).q("path")
    ids = frozenset(Region.objects.filter(below).values_list("id", flat=True))
    geoms = [load(g) for g in Region.objects.filter(pk__in=[k[0] for k in key]).values_list("geometry", flat=True)
             if g]
    geom = shapely.union_all(geoms) if geoms else None
    if geom is None or geom.is_empty:
        return OwnArea(ids, frozenset(), (0.0, 0.0), area_type)
    origin = (geom.bounds[0], geom.bounds[1])
    return OwnArea(ids, frozenset(track.grid_cells(geom, *origin)), origin, area_type)


def daily_schedule() -> PatrolSchedule | None:
    return PatrolSchedule.objects.filter(kind=PatrolKind.DAILY, is_active=True).first()


def patrol_day_compute(*, worker, day: dt.date, schedule: PatrolSchedule | None = None) -> PatrolDay | None:
    """Recompute the worker's summary of one local day from the raw points (None and no row when there are none)."""
    t_all, lon_all, lat_all, acc = day_points(worker.pk, day)
    if not len(t_all):
        PatrolDay.objects.filter(worker=worker, day=day).delete()
        return None
    t, lon, lat = clean_track(t_all, lon_all, lat_all, acc)
    seg = track.segments(t, lon, lat, max_speed_kmh=settings.GRIDGOV_PATROL_MAX_SPEED_KMH)
    area = own_area(worker)
    distance = track.travelled_m(lon, lat, seg.counted)
    moving = float(seg.duration[seg.counted].sum())
    inside_seconds, coverage = 0.0, 0.0
    if len(t) and area.region_ids:
        located = geo_index.locate_many(lon, lat)
        inside = np.isin(located, np.fromiter(area.region_ids, dtype=np.int64))
        if len(t) > 1:
            inside_seconds = float(seg.duration[seg.counted & inside[:-1]].sum())
        if area.cells:
            visited = track.visited_cells(lon, lat, seg.counted, *area.origin)
            coverage = len(visited & area.cells) / len(area.cells)
    schedule = schedule if schedule is not None else daily_schedule()
    min_minutes = schedule.min_minutes if schedule else 30
    min_coverage = schedule.min_coverage if schedule else 0.0
    is_patrol_day = (inside_seconds >= min_minutes * 60 and coverage >= min_coverage
                     and distance >= MIN_PATROL_DISTANCE_M)
    values = {"points": len(t_all), "first_at": _EPOCH + dt.timedelta(seconds=float(t_all[0])),
              "last_at": _EPOCH + dt.timedelta(seconds=float(t_all[-1])), "distance_m": round(distance, 1),
              "moving_seconds": round(moving), "inside_seconds": round(inside_seconds),
              "coverage": round(coverage, 4), "is_patrol_day": is_patrol_day}
    summary, _created = PatrolDay.objects.update_or_create(worker=worker, day=day, defaults=values)
    return summary


def patrol_day_deliver(payload: dict) -> None:
    """Outbox handler of ``fieldwork.patrol_day`` (registered in FieldworkConfig.ready): recompute one worker-day."""
    from gridgov.accounts.models import User

    worker = User.objects.filter(pk=payload["worker"]).first()
    if worker is not None:
        patrol_day_compute(worker=worker, day=dt.date.fromisoformat(payload["day"]))


def patrol_days_recompute(*, workers=None, days: list[dt.date]) -> int:
    """Recompute the summaries of these days (for all workers with points on them, or the given ones)."""
    from gridgov.accounts.models import User

    n = 0
    schedule = daily_schedule()
    for day in days:
        start, end = day_bounds(day)
        ids = set(GpsPoint.objects.filter(recorded_at__gte=start, recorded_at__lt=end)
                  .values_list("worker_id", flat=True).distinct())
        ids |= set(PatrolDay.objects.filter(day=day).values_list("worker_id", flat=True))
        if workers is not None:
            ids &= {w.pk for w in workers}
        for worker in User.objects.filter(pk__in=ids).order_by("pk"):
            patrol_day_compute(worker=worker, day=day, schedule=schedule)
            n += 1
    return n


# ======================================================================================================================
# Schedules
# ======================================================================================================================
DEFAULT_SCHEDULES = [
    {"kind": PatrolKind.DAILY, "name": "日巡查", "roles": [Role.GRID_WORKER], "days_of_month": [],
     "min_minutes": 30, "min_coverage": 0.0},
    {"kind": PatrolKind.MONTHLY, "name": "月排查", "roles": [Role.GRID_LEADER], "days_of_month": [1, 15],
     "min_minutes": 60, "min_coverage": 0.0},
    {"kind": PatrolKind.QUARTERLY, "name": "季度联查", "roles": [Role.GRID_WORKER, Role.GRID_LEADER],
     "days_of_month": [], "min_minutes": 60, "min_coverage": 0.0},
]


def patrol_schedules_seed() -> int:
    """Create the three standard schedules where missing; returns how many were created."""
    created = 0
    for spec in DEFAULT_SCHEDULES:
        _obj, made = PatrolSchedule.objects.get_or_create(kind=spec["kind"], defaults={
            k: (list(map(str, v)) if k == "roles" else v) for k, v in spec.items() if k != "kind"})
        created += made
    return created


# ======================================================================================================================
# Anomaly review
# ======================================================================================================================
REVIEW_DECISIONS = ("confirm", "dismiss")


def anomaly_review(*, actor, anomaly_id: int, decision: str, note: str, version: int | None = None) -> Anomaly:
    """Confirm or dismiss an open anomaly in the reviewer's area, with a note; audited. The one gatekeeper
    (``gridgov.common.workflow.move`` with ``fieldwork.workflow.FLOW``) locks, checks and records it."""
    return move(FLOW, actor=actor, pk=anomaly_id, action=decision, version=version, reason=note or "")
