"""Demo visits: most households and tagged people of the demo grids were visited at some point in the last four
months, some recently, some long ago, a few never — so every worker's overdue-visit list has something on it.
A visit made in the last three months falls on one of the worker's patrols (``patrols``, from
``gridgov/fieldwork/demo.py``): the patrol nearest that day, at a moment and a place of its track; older visits (and
those of workers without tracks) are logged in the daytime at the grid's centre.

Written with ``bulk_create`` (no audit rows: this is seed data, not anyone's action). ``small``: every grid;
``district``: the first 40 grids only (light). Tolerates an empty registry (writes nothing)."""

import datetime as dt
import random

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.common.roles import Role
from gridgov.registry.models import Household, Person
from gridgov.visits.choices import VisitPurpose
from gridgov.visits.models import Visit

GRIDS = {"small": None, "district": 40}
FINDINGS = ["家中情况正常，无异常。", "老人身体状况良好，已提醒注意用电安全。", "反映楼道灯损坏，已记录。",
            "本人在家，近期情绪稳定，按时报到。", "出租屋已登记，租客信息齐全。", "家中无人，已留联系卡。"]


def visits_demo_build(*, scale: str = "small", seed: int = 2026, patrols: dict | None = None) -> int:
    """Write the demo visits; returns how many. ``patrols``: ``{worker id: [[(time, lon, lat), …], …]}``."""
    rng = random.Random(seed + 7)
    workers = list(User.objects.filter(role=Role.GRID_WORKER, is_active=True).prefetch_related("grids")
                   .order_by("username"))
    by_grid, walks = {}, {}
    for w in workers:
        for g in w.grids.all():
            by_grid.setdefault(g.pk, w)
    by_pk = {w.pk: w for w in workers}
    for pk, tracks in (patrols or {}).items():  # a patrol is walked in the worker's first grid
        worker = by_pk.get(pk)
        if worker is not None and tracks and worker.grids.all():
            walks[(pk, min(worker.grids.all(), key=lambda g: g.code).pk)] = sorted(tracks, key=lambda t: t[0][0])
    limit = GRIDS.get(scale, GRIDS["small"])
    grid_ids = sorted(by_grid)[:limit] if limit else sorted(by_grid)
    now = timezone.now()
    visits = []
    households = Household.objects.filter(grid_id__in=grid_ids, is_active=True).select_related("grid")
    for h in households.order_by("pk"):
        if rng.random() < 0.15:
            continue  # never visited
        worker = by_grid[h.grid_id]
        for _ in range(rng.choice((1, 1, 2))):
            visits.append(_visit(rng, now, worker, h.grid, VisitPurpose.ROUTINE, walks.get((worker.pk, h.grid_id)),
                                 household=h))
    tagged = (Person.objects.filter(grid_id__in=grid_ids, is_active=True, person_tags__isnull=False).distinct()
              .select_related("grid"))
    for p in tagged.order_by("pk"):
        if rng.random() < 0.2:
            continue
        worker = by_grid[p.grid_id]
        visits.append(_visit(rng, now, worker, p.grid, VisitPurpose.KEY_PERSON if rng.random() < 0.5
                             else VisitPurpose.CARE, walks.get((worker.pk, p.grid_id)), person=p, days=rng.randint(1, 60)))
    Visit.objects.bulk_create(visits, batch_size=1000)
    return len(visits)


def _visit(rng, now, worker, grid, purpose, rounds, *, days=None, **target) -> Visit:
    days = days if days is not None else rng.randint(1, 130)
    at = now - dt.timedelta(days=days)
    lon, lat = grid.centroid_lon, grid.centroid_lat
    track = min(rounds, key=lambda r: abs(r[0][0] - at)) if rounds else None
    if track is not None and abs(track[0][0] - at) < dt.timedelta(days=7):
        at, lon, lat = track[rng.randrange(len(track))]
    else:
        local = timezone.localtime(at)
        at = local.replace(hour=rng.choice((9, 10, 11, 15, 16)), minute=rng.randint(0, 59))
    return Visit(worker=worker, visited_at=at, grid=grid, region_path=grid.path, purpose=purpose,
                 findings=rng.choice(FINDINGS), lon=lon, lat=lat, **target)
