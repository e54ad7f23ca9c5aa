"""Reads of visits: the log per household, person or unit, the targets a worker may visit, and the overdue-visit
list (who must be visited and is late), computed with one aggregate query for the last visits of all targets.

Required frequencies: a person with a tag is visited at least every ``Tag.visit_every_days`` (the smallest over
their active tags with a positive value); every active household at least every ``GRIDGOV_HOUSEHOLD_VISIT_DAYS``.
A visit counts for its own target only (a household visit is not a visit of each member). A target last visited
on day D with a period of N days is due on D + N and overdue from D + N + 1 (days in Asia/Shanghai). A target never
visited is listed at once ("never visited"), overdue from its start (household recorded / tag added) + N.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.errors import NotFound, PermissionDenied
from gridgov.common.roles import Role
from gridgov.common.scoping import Territory
from gridgov.registry import selectors as registry_selectors
from gridgov.visits.choices import VisitPurpose
from gridgov.visits.models import OVERSEERS, VISITING_WORKERS, Visit


def can_see_key_tags(user) -> bool:
    """Key-person tags are sensitive: the registry says who sees them."""
    return registry_selectors.can_see_key_tags(user)


def visit_list(*, user, person: int | None = None, household: int | None = None, unit: int | None = None,
               worker: int | None = None) -> QuerySet:
    qs = Visit.objects.restrict(user).select_related("worker", "grid", "person", "household", "unit")
    if person:
        qs = qs.filter(person_id=person)
    if household:
        qs = qs.filter(household_id=household)
    if unit:
        qs = qs.filter(unit_id=unit)
    if worker:
        qs = qs.filter(worker_id=worker)
    return qs.order_by("-visited_at", "-id")


def visits_for(target, user=None) -> QuerySet:
    """The visit log of a household, person or unit, newest first (scoped to ``user`` when given)."""
    field = registry_selectors.target_kind(target)
    qs = Visit.objects.filter(**{field: target}).select_related("worker").prefetch_related("photos")
    if user is not None:
        qs = qs.restrict(user)
    return qs.order_by("-visited_at", "-id")


def access_visit(user, visit_id: int) -> Visit:
    visit = (Visit.objects.restrict(user).select_related("worker", "grid", "person", "household", "unit")
             .prefetch_related("photos").filter(pk=visit_id).first())
    if visit is None:
        raise NotFound(_("No such visit, or it is outside your area."))
    return visit


def target_queryset(user, kind: str) -> QuerySet:
    """Active households, people or units in the user's area (what they may visit or look up)."""
    return registry_selectors.visit_targets(user, kind)


def access_target(user, kind: str, target_id: int):
    if kind not in registry_selectors.VISIT_TARGETS:
        raise NotFound(_("No such visit target."))
    target = target_queryset(user, kind).filter(pk=target_id).first()
    if target is None:
        raise NotFound({"household": _("No such household, or it is outside your area."),
                        "person": _("No such person, or they are outside your area."),
                        "unit": _("No such unit, or it is outside your area.")}[kind], field=kind)
    return target


def target_label(target) -> str:
    return registry_selectors.target_label(target)


def target_search(*, user, q: str = "", limit: int = 20) -> list[tuple[str, object]]:
    """Households (number, head), people (name) and units (name) in the user's area matching ``q``."""
    q = (q or "").strip()
    households = target_queryset(user, "household")
    people = target_queryset(user, "person")
    units = target_queryset(user, "unit")
    if q:
        households = households.filter(Q(number__icontains=q) | Q(head_name__icontains=q)
                                       | Q(house__address__icontains=q))
        people = people.filter(name__icontains=q)
        units = units.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return ([("household", h) for h in households.order_by("number")[:limit]]
            + [("person", p) for p in people.order_by("name", "id")[:limit]]
            + [("unit", u) for u in units.order_by("name")[:limit]])


# --- required frequencies and the overdue list ----------------------------------------------------------------------
@dataclass
class Due:
    kind: str  # "person" or "household"
    id: int
    name: str
    grid_id: int
    grid_name: str
    grid_path: str
    every_days: int
    reason: str  # what the visit is for, as the viewer may see it
    key_person: bool  # only ever True for viewers allowed to see key-person tags
    last_visit: dt.datetime | None
    due_date: dt.date
    days_overdue: int

    @property
    def never_visited(self) -> bool:
        return self.last_visit is None

    @property
    def purpose(self) -> str:
        """The visit purpose the form starts with."""
        if self.kind == "household":
            return VisitPurpose.ROUTINE
        return VisitPurpose.KEY_PERSON if self.key_person else VisitPurpose.CARE

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "name": self.name,
                "grid": {"id": self.grid_id, "name": self.grid_name}, "every_days": self.every_days,
                "reason": self.reason, "key_person": self.key_person,
                "last_visit": self.last_visit.isoformat() if self.last_visit else None,
                "never_visited": self.never_visited, "due_date": self.due_date.isoformat(),
                "days_overdue": self.days_overdue}


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def overdue_in(paths: list[str], *, show_key: bool, today: dt.date | None = None) -> list[Due]:
    """Every person and household in the subtrees ``paths`` that is late for a visit or never visited, most
    overdue first. Four queries whatever the number of targets: tagged people, households, last visits (one
    aggregate over both), nothing per target."""
    if not paths:
        return []
    today = today or timezone.localdate()
    in_grids = Territory(paths=tuple(paths)).q("grid__path")
    people = registry_selectors.people_with_visit_tags(in_grids)
    households = registry_selectors.active_households(in_grids)
    last = {}
    if people or households:
        rows = (Visit.objects.filter(Q(person_id__in=[p["pk"] for p in people])
                                     | Q(household_id__in=[h["pk"] for h in households]))
                .values("person_id", "household_id").annotate(last=Max("visited_at")))
        last = {("person", r["person_id"]) if r["person_id"] else ("household", r["household_id"]): r["last"]
                for r in rows}
    result = []
    for p in people:
        key = p["key_every"] is not None and p["key_every"] == p["every"]
        if key and show_key:
            reason = _("key person visit")
        elif key:
            reason = _("regular visit")
        else:
            reason = _("care visit")
        due = _due("person", p["pk"], p["name"], p, p["every"], reason, key and show_key,
                   last.get(("person", p["pk"])), p["since"], today)
        if due:
            result.append(due)
    every = settings.GRIDGOV_HOUSEHOLD_VISIT_DAYS
    for h in households:
        due = _due("household", h["pk"], f"{h['number']} {h['head_name']}".strip(), h, every, _("household visit"),
                   False, last.get(("household", h["pk"])), h["created_at"], today)
        if due:
            result.append(due)
    result.sort(key=lambda d: (-d.days_overdue, d.last_visit is not None, d.kind, d.name))
    return result


def _due(kind, pk, name, row, every, reason, key, last_visit, since, today) -> Due | None:
    start = _local_date(last_visit) if last_visit else (_local_date(since) if since else today)
    due_date = start + dt.timedelta(days=every)
    if last_visit is not None and today <= due_date:
        return None  # visited recently enough
    return Due(kind=kind, id=pk, name=name, grid_id=row["grid_id"], grid_name=row["grid__name"],
               grid_path=row["grid__path"], every_days=every, reason=reason, key_person=key,
               last_visit=last_visit, due_date=due_date, days_overdue=max(0, (today - due_date).days))


def workers_in_scope(user) -> QuerySet:
    """Grid workers whose grids lie in the user's area (a worker sees only themself)."""
    from gridgov.accounts.models import User

    if user.role == Role.GRID_WORKER:
        return User.objects.filter(pk=user.pk)
    return (User.objects.filter(role=Role.GRID_WORKER, is_active=True).restrict(user, scope=VISITING_WORKERS)
            .order_by("username"))


def access_worker(user, worker_id: int | None):
    """The worker whose overdue list ``user`` asks for: themself by default; another only for an overseer with
    the worker's grids in their area (404 otherwise, like any object outside the scope)."""
    if user.role != Role.GRID_WORKER and user.role not in OVERSEERS:
        raise PermissionDenied(_("Your role has no visits to make or oversee."))
    if worker_id is None or worker_id == user.pk:
        return user
    worker = workers_in_scope(user).filter(pk=worker_id).first()
    if worker is None:
        raise NotFound(_("No such grid worker, or they are outside your area."), field="worker")
    return worker


def overdue_for_worker(*, viewer, worker, today: dt.date | None = None) -> list[Due]:
    """The targets in the worker's grids (and the micro/special grids inside them) that are late for a visit."""
    paths = list(worker.grids.values_list("path", flat=True))
    return overdue_in(paths, show_key=can_see_key_tags(viewer), today=today)


def overdue_by_worker(*, viewer, today: dt.date | None = None) -> list[dict]:
    """For an overseer: each grid worker in their area with the number of overdue targets in the worker's grids
    (one computation over the whole area, then counted per worker: no query per worker)."""
    return overdue_area(viewer=viewer, today=today)["workers"]


def overdue_area(*, viewer, today: dt.date | None = None) -> dict:
    """For an overseer: ``workers`` (as ``overdue_by_worker``) and ``total``, the targets late for a visit in the
    grids of those workers, each counted once (two workers sharing a grid share its targets)."""
    workers, pairs, dues = _area_dues(viewer, today)
    return {"workers": _per_worker(workers, pairs, dues), "total": len(dues)}


def overdue_count(*, user, today: dt.date | None = None) -> int | None:
    """The number a home page shows: a grid worker's own overdue list, an overseer's area total (the figures the
    overdue page shows); None for a role with no visits to make or oversee."""
    if user.role == Role.GRID_WORKER:
        return len(overdue_for_worker(viewer=user, worker=user, today=today))
    if user.role in OVERSEERS:
        return len(_area_dues(user, today)[2])
    return None


def _area_dues(viewer, today) -> tuple[list, list, list[Due]]:
    """The workers in the overseer's area, their (worker, grid path, grid name) pairs and the overdue targets of
    all their grids: five queries, whatever the number of workers and targets."""
    from gridgov.accounts.models import User

    workers = list(workers_in_scope(viewer))
    pairs = list(User.grids.through.objects.filter(user_id__in=[w.pk for w in workers])
                 .values_list("user_id", "region__path", "region__name"))
    paths = sorted({p for _u, p, _n in pairs})
    return workers, pairs, overdue_in(_outermost(paths), show_key=False, today=today)


def _per_worker(workers, pairs, dues) -> list[dict]:
    out = []
    for w in workers:
        own = [p for u, p, _n in pairs if u == w.pk]
        mine = [d for d in dues if any(d.grid_path.startswith(p) for p in own)]
        out.append({"id": w.pk, "username": w.username, "name": w.display_name,
                    "grids": [n for u, _p, n in pairs if u == w.pk],
                    "overdue": len(mine), "never_visited": sum(1 for d in mine if d.never_visited),
                    "most_days_overdue": max((d.days_overdue for d in mine), default=0)})
    return out


def _outermost(paths: list[str]) -> list[str]:
    kept = []
    for p in sorted(paths):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


def visits_between(start, end) -> list[tuple]:
    """(worker id, visited at) of the visits made in [start, end) — the input of the month-end burst check
    (gridgov/fieldwork/detect.py); not scoped: the detector runs for everyone."""
    return list(Visit.objects.filter(visited_at__gte=start, visited_at__lt=end).values_list("worker_id", "visited_at"))
