"""Anomaly detection: feeds the pure rules (``rules.py``) from the database and stores what they find.

``anomalies_detect(day=D)`` checks the tracks of D (impossible speed, never moving, copied from one of the previous
30 days, mostly outside the worker's grids) and the disputes settled on D; ``anomalies_detect(month=M)`` checks every
day of M up to today plus the month as a whole (month-end bursts of reports and visits). Re-running changes nothing
twice: one anomaly per (kind, worker, day); an open one gets the fresh evidence, a reviewed one is left alone.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gridgov.common.audit import audit_record
from gridgov.fieldwork import rules
from gridgov.fieldwork.choices import AnomalyKind, AnomalyStatus
from gridgov.fieldwork.models import Anomaly, PatrolDay
from gridgov.fieldwork.services import TRACK_ACCURACY_M, day_bounds, day_points

COPY_LOOKBACK_DAYS = 30


def _region_path(user) -> str:
    grid = user.grids.order_by("code").first()
    if grid is not None:
        return grid.path
    return user.region.path if user.region_id else ""


def _accurate(worker_id: int, day: dt.date):
    t, lon, lat, acc = day_points(worker_id, day)
    keep = ~(acc > TRACK_ACCURACY_M)
    return t[keep], lon[keep], lat[keep]


def _store(found: list, counts: dict) -> None:
    """found: (kind, user, day, Finding)."""
    paths = {}
    for kind, user, day, finding in found:
        if user.pk not in paths:
            paths[user.pk] = _region_path(user)
        existing = Anomaly.objects.filter(kind=kind, worker=user, day=day).first()
        evidence = _jsonable(finding.evidence)
        if existing is None:
            Anomaly.objects.bulk_create([Anomaly(kind=kind, worker=user, day=day, region_path=paths[user.pk],
                                                 score=finding.score, evidence=evidence)], ignore_conflicts=True)
        elif existing.status == AnomalyStatus.OPEN:
            existing.score, existing.evidence, existing.region_path = finding.score, evidence, paths[user.pk]
            existing.save(update_fields=["score", "evidence", "region_path", "detected_at"])
        counts[kind] = counts.get(kind, 0) + 1


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def detect_tracks(day: dt.date) -> list:
    found = []
    max_kmh = settings.GRIDGOV_PATROL_MAX_SPEED_KMH
    for summary in PatrolDay.objects.filter(day=day).select_related("worker").order_by("worker_id"):
        worker = summary.worker
        t, lon, lat = _accurate(worker.pk, day)
        if not len(t):
            continue
        if finding := rules.impossible_speed(t, lon, lat, max_speed_kmh=max_kmh):
            found.append((AnomalyKind.IMPOSSIBLE_SPEED, worker, day, finding))
        if finding := rules.never_moves(t, lon, lat):
            found.append((AnomalyKind.NO_MOVEMENT, worker, day, finding))
        if finding := rules.outside_grid(moving_seconds=summary.moving_seconds,
                                         inside_seconds=summary.inside_seconds):
            found.append((AnomalyKind.OUTSIDE_GRID, worker, day, finding))
        lo, hi = int(summary.points * 0.9), int(summary.points / 0.9) + 1
        candidates = (PatrolDay.objects.filter(worker=worker, day__lt=day, points__gte=lo, points__lte=hi,
                                               day__gte=day - dt.timedelta(days=COPY_LOOKBACK_DAYS))
                      .values_list("day", flat=True))
        others = {d: _accurate(worker.pk, d) for d in candidates}
        if others and (finding := rules.copied_track(t, lon, lat, others)):
            found.append((AnomalyKind.COPIED_TRACK, worker, day, finding))
    return found


def detect_mediation(first: dt.date, last: dt.date) -> list:
    from gridgov.accounts import selectors as accounts
    from gridgov.disputes import selectors as disputes

    start, end = day_bounds(first)[0], day_bounds(last)[1]
    by_mediator = defaultdict(list)
    for pk, mediator_id, settled_at in disputes.settlements_between(start, end):
        by_mediator[mediator_id].append((pk, settled_at))
    found = []
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    users = accounts.users_by_id(list(by_mediator))
    for mediator_id, settled in sorted(by_mediator.items()):
        if finding := rules.quick_mediation(settled):
            day = dt.datetime.fromisoformat(finding.evidence["from"]).astimezone(tz).date()
            found.append((AnomalyKind.QUICK_MEDIATION, users[mediator_id], day, finding))
    return found


def detect_month_end(year: int, month: int) -> list:
    from gridgov.accounts import selectors as accounts
    from gridgov.events import selectors as events
    from gridgov.visits import selectors as visits

    first = dt.date(year, month, 1)
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    records = {"events": defaultdict(list), "visits": defaultdict(list)}
    for user_id, at in events.reports_between(start, end):
        records["events"][user_id].append(at.astimezone(tz).date())
    for user_id, at in visits.visits_between(start, end):
        records["visits"][user_id].append(at.astimezone(tz).date())
    evidence, scores = defaultdict(dict), defaultdict(float)
    for what, per_user in records.items():
        for user_id, days in per_user.items():
            if finding := rules.month_end_burst(days, year=year, month=month):
                evidence[user_id][what] = finding.evidence
                scores[user_id] = max(scores[user_id], finding.score)
    users = accounts.users_by_id(list(evidence))
    return [(AnomalyKind.MONTH_END_BURST, users[uid], last, rules.Finding(scores[uid], evidence[uid]))
            for uid in sorted(evidence)]


def anomalies_detect(*, day: dt.date | None = None, month: tuple[int, int] | None = None, actor=None) -> dict:
    """Run the rules for one day or one month; returns {kind: anomalies found}."""
    if (day is None) == (month is None):
        raise ValueError("give exactly one of day or month")
    today = timezone.localdate()
    if day is not None:
        days = [day]
    else:
        year, m = month
        first = dt.date(year, m, 1)
        last = min(dt.date(year + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1), today)
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    found = []
    for d in days:
        found += detect_tracks(d)
    if days:
        found += detect_mediation(days[0], days[-1])
    if month is not None:
        found += detect_month_end(*month)
    counts: dict = {}
    with transaction.atomic():
        _store(found, counts)
        audit_record(actor=actor, action="anomaly.detect", object_type="fieldwork.anomaly",
                     detail={"day": day.isoformat() if day else None,
                             "month": f"{month[0]}-{month[1]:02d}" if month else None,
                             "found": {str(k): v for k, v in counts.items()}})
    return counts
