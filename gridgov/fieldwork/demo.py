"""Demo patrol tracks: about three months of daily patrols walked inside the workers' grids, so that patrol days,
summaries, the replay and the anomaly list have something to show, and so that the grid workers' case reports
(``gridgov/events/demo.py``) can be made on a day and at a place the worker really patrolled.

* History (``history=True``): every tracked worker patrols on most working days (rarely at a weekend), once a
  day for 45–100 minutes in the morning or the afternoon, one GPS fix every 30 s. ``small`` tracks every worker;
  ``district`` tracks the workers of the first two grids of each community (the GPS volume of 4,800 workers over
  three months would take far longer to write than the rest of the demo).
* The last five days of worker_a and worker_b are planted: one day copied from an earlier one, one patrol that
  never moves and one with a GPS jump (one fix every 10 s, as the phone app sends), found by
  ``demo_anomalies`` once the other demos have written their records.

Deterministic for a given seed and day. ``demo_patrols`` returns the patrols it wrote, as plain data, for the other
demos: ``{worker id: [[(time, lon, lat), …] one list per patrol, a fix every few minutes]}``.
"""

import datetime as dt
import math
import random

import shapely
import time_machine
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.common.calendar import is_workday
from gridgov.common.outbox import outbox_last_id, outbox_settle
from gridgov.common.roles import Role
from gridgov.fieldwork.detect import anomalies_detect
from gridgov.fieldwork.models import GpsPoint
from gridgov.fieldwork.services import (
    DAY_TOPIC,
    daily_schedule,
    day_bounds,
    patrol_day_compute,
    patrol_points_ingest,
    patrol_schedules_seed,
)
from gridgov.fieldwork.track import scale
from gridgov.regions.geometry import load

STEP_S = 10  # the planted days: as often as the phone app sends
HISTORY_STEP_S = 60  # the history: a fix a minute (battery saving), plenty for the summaries and the replay
SPEED_MS = 1.2
HISTORY_DAYS = 91
TRACKED_PER_COMMUNITY = {"small": None, "district": 2}  # None: every worker
SAMPLE_EVERY_S = 300  # the patrols handed to the other demos: one fix every five minutes
PLANTED_DAYS = 5


def walk(geom, rng: random.Random, *, minutes: int, start: dt.datetime, step_s: int = STEP_S,
         inner=None) -> list[tuple[dt.datetime, float, float]]:
    """A walk between random spots inside ``geom`` at about 1.2 m/s, one fix every ``step_s`` seconds with ±3 m of
    noise."""
    if inner is None:
        inner = _inner(geom)
    w, s, e, n = inner.bounds
    sx, sy = scale((s + n) / 2)

    def spot():
        while True:
            x, y = rng.uniform(w, e), rng.uniform(s, n)
            if shapely.contains_xy(inner, x, y):
                return x, y

    x, y = spot()
    target = spot()
    out, t = [], start
    step = SPEED_MS * step_s
    for _ in range(minutes * 60 // step_s):
        dx, dy = (target[0] - x) * sx, (target[1] - y) * sy
        dist = math.hypot(dx, dy)
        if dist <= step:
            x, y = target
            target = spot()
        else:
            x, y = x + dx / dist * step / sx, y + dy / dist * step / sy
        out.append((t, x + rng.gauss(0, 3) / sx, y + rng.gauss(0, 3) / sy))
        t += dt.timedelta(seconds=step_s)
    return out


def _inner(geom):
    """The grid less a 20 m margin (so that a noisy fix stays inside), prepared for fast point tests."""
    inner = geom.buffer(-0.0002)
    inner = inner if inner.area > 0 else geom
    shapely.prepare(inner)
    return inner


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return day_bounds(day)[0] + dt.timedelta(hours=hour, minutes=minute)


def _tracked_workers(scale_name: str) -> list[tuple[User, object]]:
    """(worker, first grid) of the workers who walk every day, in a stable order."""
    per_community = TRACKED_PER_COMMUNITY.get(scale_name, None)
    out, seen_in = [], {}
    workers = (User.objects.filter(role=Role.GRID_WORKER, is_active=True).prefetch_related("grids")
               .order_by("username"))
    for worker in workers:
        grids = sorted(worker.grids.all(), key=lambda g: g.code)
        if not grids or not grids[0].geometry:
            continue
        grid = grids[0]
        persona = worker.username in ("worker_a", "worker_b")
        if per_community is not None and not persona:
            if seen_in.get(grid.parent_id, 0) >= per_community:
                continue
            seen_in[grid.parent_id] = seen_in.get(grid.parent_id, 0) + 1
        out.append((worker, grid))
    return out


def _planted(username: str, geom, rng: random.Random, days: list[dt.date]) -> dict:
    """worker_a and worker_b's last five days, each hiding (or not) an anomaly."""
    tracks = {days[0]: walk(geom, rng, minutes=75, start=_at(days[0], 9)),
              days[1]: walk(geom, rng, minutes=70, start=_at(days[1], 14, 30))}
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
    return tracks


def _history(geom, rng: random.Random, days: list[dt.date], now: dt.datetime) -> dict:
    """A patrol on most working days, rarely at a weekend; none that has not ended by now."""
    inner = _inner(geom)
    tracks = {}
    for day in days:
        if rng.random() > (0.88 if is_workday(day) else 0.06):
            continue
        morning = rng.random() < 0.6
        start = _at(day, 8, 30) if morning else _at(day, 14, 0)
        start += dt.timedelta(minutes=rng.randint(0, 110))
        minutes = rng.randint(45, 100)
        if start + dt.timedelta(minutes=minutes) > now:
            continue
        tracks[day] = walk(geom, rng, minutes=minutes, start=start, step_s=HISTORY_STEP_S, inner=inner)
    return tracks


def demo_patrols(*, today: dt.date | None = None, scale: str = "small", seed: int = 2026,
                 history: bool = True) -> dict:
    """Write the demo tracks and their daily summaries. Returns ``{"points": n, "patrols": {worker id: [patrol,
    …]}}``, a patrol being its fixes every five minutes ``[(time, lon, lat), …]``, oldest first."""
    patrol_schedules_seed()  # seeded by a migration; again here for databases flushed by transactional tests
    now = timezone.now()
    today = today or timezone.localdate()
    planted_days = [today - dt.timedelta(days=n) for n in range(PLANTED_DAYS, 0, -1)]
    history_days = [today - dt.timedelta(days=n) for n in range(HISTORY_DAYS, -1, -1)]
    rng = random.Random(seed * 10000 + 501)  # the planted days as before (seed 2026: 20260501)
    history_rng = random.Random(seed + 31)
    rows, summaries, patrols, sent = [], [], {}, 0
    last_message = outbox_last_id()
    workers = _tracked_workers(scale) if history else [
        (w, g) for w, g in _tracked_workers(scale) if w.username in ("worker_a", "worker_b")]
    for worker, grid in workers:
        geom = load(grid.geometry)
        planted = _planted(worker.username, geom, rng, planted_days) if worker.username in (
            "worker_a", "worker_b") else {}
        tracks = _history(geom, history_rng, [d for d in history_days if d not in planted], now) if history else {}
        for _day, points in sorted(tracks.items()):  # sent by the phone app at the end of the patrol
            end = points[-1][0] + dt.timedelta(minutes=1)
            with time_machine.travel(end.timestamp(), tick=False):
                sent += patrol_points_ingest(actor=worker, now=end, points=[
                    {"t": round(t.timestamp() * 1000), "lon": round(x, 7), "lat": round(y, 7),
                     "accuracy": round(rng.uniform(4, 15), 1)} for t, x, y in points]).accepted
        for points in planted.values():  # written as they are: the GPS jump lies outside what ingest accepts
            rows += [GpsPoint(worker=worker, recorded_at=t, received_at=t, lon=round(x, 7), lat=round(y, 7),
                              accuracy_m=round(rng.uniform(4, 15), 1)) for t, x, y in points]
        for day, points in sorted({**tracks, **planted}.items()):
            summaries.append((worker, day))
            step = (points[1][0] - points[0][0]).total_seconds()
            patrols.setdefault(worker.pk, []).append(points[::max(1, int(SAMPLE_EVERY_S // step))])
    GpsPoint.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    schedule = daily_schedule()
    for worker, day in summaries:
        patrol_day_compute(worker=worker, day=day, schedule=schedule)
    outbox_settle(topics=[DAY_TOPIC], after_id=last_message)  # computed above: nothing left for the worker
    return {"points": len(rows) + sent, "patrols": patrols}


def demo_anomalies(*, today: dt.date | None = None) -> dict:
    """Look for anomalies on the planted days (the nightly detection would have done it), once the visits and
    disputes are written too; returns what was found by kind."""
    today = today or timezone.localdate()
    found: dict = {}
    for n in range(PLANTED_DAYS, 0, -1):
        for kind, count in anomalies_detect(day=today - dt.timedelta(days=n)).items():
            found[kind] = found.get(kind, 0) + count
    return found
