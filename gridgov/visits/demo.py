"""Demo visits: most households and tagged people of the demo grids were visited at some point in the last four
months, some recently, some long ago, a few never — so every worker's overdue-visit list has something on it.

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


def visits_demo_build(*, scale: str = "small", seed: int = 2026) -> int:
    """Write the demo visits; returns how many."""
    rng = random.Random(seed + 7)
    workers = list(User.objects.filter(role=Role.GRID_WORKER, is_active=True).prefetch_related("grids")
                   .order_by("username"))
    by_grid = {}
    for w in workers:
        for g in w.grids.all():
            by_grid.setdefault(g.pk, w)
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
            visits.append(_visit(rng, now, worker, h.grid, VisitPurpose.ROUTINE, household=h))
    tagged = (Person.objects.filter(grid_id__in=grid_ids, is_active=True, person_tags__isnull=False).distinct()
              .select_related("grid"))
    for p in tagged.order_by("pk"):
        if rng.random() < 0.2:
            continue
        worker = by_grid[p.grid_id]
        visits.append(_visit(rng, now, worker, p.grid, VisitPurpose.KEY_PERSON if rng.random() < 0.5
                             else VisitPurpose.CARE, person=p, days=rng.randint(1, 60)))
    Visit.objects.bulk_create(visits, batch_size=1000)
    return len(visits)


def _visit(rng, now, worker, grid, purpose, *, days=None, **target) -> Visit:
    days = days if days is not None else rng.randint(1, 130)
    at = now - dt.timedelta(days=days, hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
    return Visit(worker=worker, visited_at=at, grid=grid, region_path=grid.path, purpose=purpose,
                 findings=rng.choice(FINDINGS), lon=grid.centroid_lon, lat=grid.centroid_lat, **target)
