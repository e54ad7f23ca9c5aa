"""Demo patrol tracks: a few recent days for worker_a and worker_b, walked inside their grids, including one day
copied from an earlier one, one patrol that never moves and one with a GPS jump, so that the summaries, the replay
and the anomaly list have something to show. Deterministic (fixed seed), a few thousand points: well under a second.
"""

import datetime as dt
import math
import random

import shapely
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.fieldwork.detect import anomalies_detect
from gridgov.fieldwork.models import GpsPoint
from gridgov.fieldwork.services import (
    day_bounds,
    patrol_day_compute,
    patrol_schedules_seed,
)
from gridgov.fieldwork.track import scale
from gridgov.regions.geometry import load

STEP_S = 10
SPEED_MS = 1.2


def walk(geom, rng: random.Random, *, minutes: int, start: dt.datetime) -> list[tuple[dt.datetime, float, float]]:
    """A walk between random spots inside ``geom`` at about 1.2 m/s, one fix every 10 s with ±3 m of noise."""
    inner = geom.buffer(-0.0002) if geom.buffer(-0.0002).area > 0 else geom
    w, s, e, n = inner.bounds
    sx, sy = scale((s + n) / 2)

    def spot():
        while True:
            p = shapely.Point(rng.uniform(w, e), rng.uniform(s, n))
            if inner.contains(p):
                return p.x, p.y

    x, y = spot()
    target = spot()
    out, t = [], start
    for _ in range(minutes * 60 // STEP_S):
        dx, dy = (target[0] - x) * sx, (target[1] - y) * sy
        dist = math.hypot(dx, dy)
        step = SPEED_MS * STEP_S
        if dist <= step:
            x, y = target
            target = spot()
        else:
            x, y = x + dx / dist * step / sx, y + dy / dist * step / sy
        out.append((t, x + rng.gauss(0, 3) / sx, y + rng.gauss(0, 3) / sy))
        t += dt.timedelta(seconds=STEP_S)
    return out


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return day_bounds(day)[0] + dt.timedelta(hours=hour, minutes=minute)


def demo_patrols(*, today: dt.date | None = None) -> int:
    """Write the demo tracks, their summaries and the anomalies they show; returns the number of points."""
    patrol_schedules_seed()  # seeded by a migration; again here for databases flushed by transactional tests
    today = today or timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in (5, 4, 3, 2, 1)]
    rng = random.Random(20260501)
    rows = []
    summaries = []
    for username in ("worker_a", "worker_b"):
        worker = User.objects.filter(username=username).first()
        grid = worker.grids.order_by("code").first() if worker else None
        if grid is None or not grid.geometry:
            continue
        geom = load(grid.geometry)
        tracks = {}
        tracks[days[0]] = walk(geom, rng, minutes=75, start=_at(days[0], 9))
        tracks[days[1]] = walk(geom, rng, minutes=70, start=_at(days[1], 14, 30))
        if username == "worker_a":
            # copied: day 0's track again, two days later and 20 minutes later in the day
            shift = (_at(days[2], 9, 20) - _at(days[0], 9))
            tracks[days[2]] = [(t + shift, x, y) for t, x, y in tracks[days[0]]]
            # never moves: an hour at one spot, only GPS noise
            cx, cy = geom.representative_point().x, geom.representative_point().y
            sx, sy = scale(cy)
            tracks[days[3]] = [(_at(days[3], 10) + dt.timedelta(seconds=STEP_S * i),
                                cx + rng.gauss(0, 4) / sx, cy + rng.gauss(0, 4) / sy) for i in range(360)]
            tracks[days[4]] = walk(geom, rng, minutes=50, start=_at(days[4], 8, 40))
        else:
            jumpy = walk(geom, rng, minutes=65, start=_at(days[2], 15))
            t, x, y = jumpy[200]
            sx, sy = scale(y)
            jumpy[200] = (t, x + 6000 / sx, y + 2500 / sy)  # one fix 6.5 km away for ten seconds
            tracks[days[2]] = jumpy
            tracks[days[3]] = walk(geom, rng, minutes=80, start=_at(days[3], 9, 10))
        for day, points in tracks.items():
            rows += [GpsPoint(worker=worker, recorded_at=t, received_at=t, lon=round(x, 7), lat=round(y, 7),
                              accuracy_m=round(rng.uniform(4, 15), 1)) for t, x, y in points]
            summaries.append((worker, day))
    GpsPoint.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    for worker, day in summaries:
        patrol_day_compute(worker=worker, day=day)
    for day in days:
        anomalies_detect(day=day)
    return len(rows)
