"""Reads of patrols: daily summaries (everything but replay reads ``PatrolDay``, never the raw points), one worker's
track of a day for replay, who missed which scheduled patrol, and the anomaly list. Everything is scoped
(``Model.objects.restrict``, gridgov/common/scoping.py); a worker or anomaly outside the user's area answers 404 like one that does not exist.
"""

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.accounts.selectors import person_label, person_related
from gridgov.common.calendar import is_workday
from gridgov.common.errors import NotFound, ValidationFailed
from gridgov.fieldwork.choices import AnomalyKind, AnomalyStatus, PatrolKind
from gridgov.fieldwork.models import (
    PATROL_WORKERS,
    Anomaly,
    GpsPoint,
    PatrolDay,
    PatrolSchedule,
    PatrolSession,
)
from gridgov.fieldwork.services import day_bounds


def parse_month(value: str | None, *, field_name: str = "month") -> tuple[int, int]:
    if not value:
        today = timezone.localdate()
        return today.year, today.month
    m = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1900 <= int(m.group(1)) <= 2099:  # far years overflow
        raise ValidationFailed(_("Must be a month like 2026-05."), field=field_name)
    return int(m.group(1)), int(m.group(2))


def month_days(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    return first, dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


#: The patrol list's default period: the last this many days up to today (Asia/Shanghai), across month boundaries —
#: on the 1st of a month a grid leader still sees last week's patrols; a month is one pick away.
RECENT_DAYS = 30


def recent_days(today: dt.date | None = None, *, days: int = RECENT_DAYS) -> tuple[dt.date, dt.date]:
    """The first and last day of the last ``days`` days, today included (local dates)."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=days - 1), today


def parse_day(value: str | None, *, field_name: str = "day") -> dt.date:
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2099:  # far years overflow time-zone arithmetic
        raise ValidationFailed(_("Must be a date like 2026-01-31."), field=field_name)
    return day


# -- workers and their days ---------------------------------------------------------------------------------------------
def visible_workers(user) -> QuerySet:
    return User.objects.filter(is_active=True, grids__isnull=False).distinct().restrict(
        user, scope=PATROL_WORKERS).order_by("username")


def access_worker(user, worker_id: int) -> User:
    worker = User.objects.filter(pk=worker_id, is_active=True).restrict(user, scope=PATROL_WORKERS).first()
    if worker is None:
        raise NotFound(_("No such worker, or they work outside your area."))
    return worker


def patrol_days(*, user, worker_id: int | None = None, month: tuple[int, int] | None = None,
                period: tuple[dt.date, dt.date] | None = None) -> QuerySet:
    """Daily summaries in scope, newest first; ``month`` (year, month) or ``period`` (first, last day, inclusive)
    narrows them to those days."""
    qs = PatrolDay.objects.restrict(user).select_related("worker")
    if worker_id:
        qs = qs.filter(worker_id=worker_id)
    if month:
        period = month_days(*month)
    if period:
        qs = qs.filter(day__gte=period[0], day__lte=period[1])
    return qs.order_by("-day", "worker__username")


def grid_patrol_days(*, user, grid, limit: int = 14) -> list[PatrolDay]:
    """The latest daily summaries of the workers serving ``grid`` that ``user`` may see (a grid worker: their own)."""
    return list(PatrolDay.objects.restrict(user).filter(worker__grids=grid).select_related("worker")
                .order_by("-day", "worker_id")[:limit])


def today_patrol(*, user, today: dt.date | None = None) -> dict:
    """The user's own patrol today (Asia/Shanghai): ``running``, the patrol under way (started today, not ended);
    ``started_at``, the first start today; ``sessions``, how many were started; ``summary``, today's
    ``PatrolDay`` so far (distance, time on patrol; computed by the worker from the points, so a moment behind).
    Two queries."""
    today = today or timezone.localdate()
    start, end = day_bounds(today)
    sessions = list(PatrolSession.objects.restrict(user).filter(worker=user, started_at__gte=start,
                                                                 started_at__lt=end).order_by("started_at", "id"))
    summary = PatrolDay.objects.restrict(user).filter(worker=user, day=today).first()
    return {"running": next((p for p in reversed(sessions) if p.ended_at is None), None),
            "started_at": sessions[0].started_at if sessions else (summary.first_at if summary else None),
            "sessions": len(sessions), "summary": summary, "day": today}


def patrol_sessions(*, user, worker_id: int | None = None) -> QuerySet:
    qs = PatrolSession.objects.restrict(user).select_related("worker")
    return qs.filter(worker_id=worker_id) if worker_id else qs


def worker_grids_geojson(worker: User) -> dict:
    features = [{"type": "Feature", "geometry": g.geometry,
                 "properties": {"id": g.pk, "code": g.code, "name": g.name}}
                for g in worker.grids.exclude(status="retired").order_by("code") if g.geometry]
    return {"type": "FeatureCollection", "features": features}


def track_for_replay(*, user, worker_id: int, day: dt.date) -> dict:
    """One worker's track of a day: points in time order, the summary, the worker's grids."""
    worker = access_worker(user, worker_id)
    start, end = day_bounds(day)
    points = [[round(at.timestamp() * 1000), lon, lat, acc] for at, lon, lat, acc in
              GpsPoint.objects.filter(worker=worker, recorded_at__gte=start, recorded_at__lt=end)
              .order_by("recorded_at").values_list("recorded_at", "lon", "lat", "accuracy_m")]
    summary = PatrolDay.objects.filter(worker=worker, day=day).first()
    return {
        "worker": {"id": worker.pk, "username": worker.username, "name": worker.display_name},
        "day": day.isoformat(), "points": points, "summary": summary_out(summary) if summary else None,
        "grids": worker_grids_geojson(worker),
        "anomalies": [{"id": a.pk, "kind": a.kind, "label": str(a.get_kind_display()), "status": a.status}
                      for a in Anomaly.objects.restrict(user).filter(worker=worker, day=day)],
    }


def summary_out(d: PatrolDay) -> dict:
    return {"worker": d.worker_id, "day": d.day.isoformat(), "points": d.points,
            "first_at": d.first_at.isoformat() if d.first_at else None,
            "last_at": d.last_at.isoformat() if d.last_at else None,
            "distance_m": d.distance_m, "moving_seconds": d.moving_seconds, "inside_seconds": d.inside_seconds,
            "coverage": d.coverage, "is_patrol_day": d.is_patrol_day}


# -- schedules: who missed what -----------------------------------------------------------------------------------------
@dataclass
class Miss:
    worker: User
    schedule: PatrolSchedule
    area_type: str
    required: int
    done: int
    missed: list = field(default_factory=list)
    compliant: bool = True
    pending: bool = False
    rule: str = ""

    def as_dict(self) -> dict:
        return {"worker": {"id": self.worker.pk, "username": self.worker.username, "name": self.worker.display_name},
                "grids": [g.name for g in self.worker.grids.all()], "schedule": self.schedule.kind,
                "schedule_name": self.schedule.name, "area_type": self.area_type, "required": self.required,
                "done": self.done, "missed": [d.isoformat() for d in self.missed], "compliant": self.compliant,
                "pending": self.pending, "rule": self.rule}


def _next_workday(day: dt.date) -> dt.date:
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def schedule_misses(*, user, month: tuple[int, int], today: dt.date | None = None) -> list[Miss]:
    """Per worker in scope and active schedule: what the month required (up to yesterday), what was done, what was
    missed. 日巡查: urban workers need a patrol day on GRIDGOV_PATROL_URBAN_DAY_PERCENT of the month's days so far,
    rural workers on every working day; 月排查: a monthly-check session on each of the schedule's days of the month
    (moved to the next working day when it falls on a holiday); 季度联查: a quarterly session in the quarter."""
    today = today or timezone.localdate()
    first, last = month_days(*month)
    until = min(last, today - dt.timedelta(days=1))
    elapsed = [first + dt.timedelta(days=i) for i in range(max(0, (until - first).days + 1))]
    schedules = list(PatrolSchedule.objects.filter(is_active=True).order_by("kind"))
    roles = {r for s in schedules for r in s.roles}
    workers = list(visible_workers(user).filter(role__in=roles).prefetch_related("grids"))
    ids = [w.pk for w in workers]
    patrolled = defaultdict(set)
    for wid, day in PatrolDay.objects.filter(worker_id__in=ids, day__gte=first, day__lte=last,
                                             is_patrol_day=True).values_list("worker_id", "day"):
        patrolled[wid].add(day)
    q_first = dt.date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    q_last = month_days(q_first.year, q_first.month + 2)[1]
    sessions = defaultdict(set)
    tz_start, tz_end = day_bounds(min(first, q_first))[0], day_bounds(max(last, q_last))[1]
    for wid, kind, started in PatrolSession.objects.filter(worker_id__in=ids, started_at__gte=tz_start,
                                                           started_at__lt=tz_end).values_list(
            "worker_id", "kind", "started_at"):
        sessions[(wid, kind)].add(timezone.localtime(started).date())
    share = settings.GRIDGOV_PATROL_URBAN_DAY_PERCENT / 100
    out = []
    for worker in workers:
        grids = list(worker.grids.all())
        area_type = grids[0].area_type if grids else "urban"
        for schedule in schedules:
            if worker.role not in schedule.roles:
                continue
            if schedule.kind == PatrolKind.DAILY:
                workdays = [d for d in elapsed if is_workday(d)]
                done = patrolled[worker.pk]
                missed = [d for d in workdays if d not in done]
                if area_type == "rural":
                    row = Miss(worker, schedule, area_type, len(workdays), len(done & set(workdays)), missed,
                               compliant=not missed, rule=_("every working day"))
                else:
                    need = math.ceil(share * len(elapsed))
                    n = len(done & set(elapsed))
                    row = Miss(worker, schedule, area_type, need, n, missed, compliant=n >= need,
                               rule=_("%(p)d%% of the days") % {"p": settings.GRIDGOV_PATROL_URBAN_DAY_PERCENT})
            elif schedule.kind == PatrolKind.MONTHLY:
                due = sorted({_next_workday(dt.date(first.year, first.month, dom)) for dom in schedule.days_of_month
                              if dom <= last.day})
                due_now = [d for d in due if d <= until]
                held = sessions[(worker.pk, PatrolKind.MONTHLY)]
                missed = [d for d in due_now if d not in held]
                row = Miss(worker, schedule, area_type, len(due_now), len(due_now) - len(missed), missed,
                           compliant=not missed, pending=len(due_now) < len(due),
                           rule=_("on days %(days)s") % {"days": ", ".join(map(str, schedule.days_of_month))})
            else:
                held = [d for d in sessions[(worker.pk, PatrolKind.QUARTERLY)] if q_first <= d <= q_last]
                over = q_last < today
                row = Miss(worker, schedule, area_type, 1, min(1, len(held)), [] if held or not over else [q_last],
                           compliant=bool(held) or not over, pending=not held and not over,
                           rule=_("once a quarter"))
            out.append(row)
    return out


# -- anomalies ----------------------------------------------------------------------------------------------------------
def anomaly_list(*, user, status: str | None = None, kind: str | None = None,
                 month: tuple[int, int] | None = None, worker_id: int | None = None) -> QuerySet:
    qs = Anomaly.objects.restrict(user).select_related("worker", *person_related("reviewed_by"))
    if status:
        if status not in AnomalyStatus.values:
            raise ValidationFailed(_("Unknown status."), field="status")
        qs = qs.filter(status=status)
    if kind:
        if kind not in AnomalyKind.values:
            raise ValidationFailed(_("Unknown kind."), field="kind")
        qs = qs.filter(kind=kind)
    if month:
        first, last = month_days(*month)
        qs = qs.filter(day__gte=first, day__lte=last)
    if worker_id:
        qs = qs.filter(worker_id=worker_id)
    return qs.order_by("-day", "kind", "worker__username")


def access_anomaly(user, anomaly_id: int) -> Anomaly:
    anomaly = Anomaly.objects.restrict(user).select_related("worker", *person_related("reviewed_by")).filter(pk=anomaly_id).first()
    if anomaly is None:
        raise NotFound(_("No such anomaly, or it is outside your area."))
    return anomaly


TRACK_KINDS = {AnomalyKind.IMPOSSIBLE_SPEED, AnomalyKind.NO_MOVEMENT, AnomalyKind.COPIED_TRACK,
               AnomalyKind.OUTSIDE_GRID}


def anomaly_out(a: Anomaly) -> dict:
    from django.urls import reverse

    replay = (reverse("fieldwork:replay", args=[a.worker_id, a.day.isoformat()]) if a.kind in TRACK_KINDS else None)
    other = a.evidence.get("same_as_day") if isinstance(a.evidence, dict) else None
    return {"id": a.pk, "kind": a.kind, "kind_label": str(a.get_kind_display()), "day": a.day.isoformat(),
            "worker": {"id": a.worker_id, "username": a.worker.username, "name": a.worker.display_name},
            "score": a.score, "evidence": a.evidence, "status": a.status, "status_label": str(a.get_status_display()),
            "version": a.version,
            "reviewed_by": a.reviewed_by.username if a.reviewed_by_id else None,
            "reviewed_by_name": person_label(a.reviewed_by) if a.reviewed_by_id else None, "review_note": a.review_note,
            "detected_at": a.detected_at.isoformat(), "replay_url": replay,
            "other_replay_url": reverse("fieldwork:replay", args=[a.worker_id, other]) if other else None}
