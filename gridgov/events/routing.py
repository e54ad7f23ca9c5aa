"""Routing: which department handles a case of this category at this place.

Rules (``Route``) name a kind of department, tried in priority order. For each rule the departments of that kind
serving the grid are found; events prefer the territorial unit (先属地后属主: the street's office before the
district's), components the owner (先属主后属地: the district's unit first). One clear answer dispatches
automatically; none or a tie goes to a dispatcher with the reason.
"""

import threading
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.events.choices import CategoryKind

CACHE_SECONDS = 30


@dataclass
class Decision:
    lead_id: int | None = None
    joint_ids: list[int] = field(default_factory=list)
    manual_reason: str = ""

    @property
    def automatic(self) -> bool:
        return self.lead_id is not None and not self.manual_reason


class _Directory:
    """Departments and rules in memory (a few hundred rows), refreshed every CACHE_SECONDS or on demand."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loaded_at = 0.0

    def invalidate(self):
        self._loaded_at = 0.0

    def _load(self):
        from gridgov.accounts.models import Department
        from gridgov.events.models import Category, Route

        # the taxonomy too (a few hundred rows): intake needs a category per request and must not query for it
        self.categories = {c.code: c for c in Category.objects.select_related("parent")}

        depts, objects = [], {}
        for d in Department.objects.filter(is_active=True).prefetch_related("service_area").select_related("region"):
            paths = [r.path for r in d.service_area.all()] or [d.region.path]
            depts.append((d.pk, d.kind, paths, d.name))
            objects[d.pk] = d
        rules = {}
        for r in Route.objects.select_related("region").order_by("priority", "id"):
            rules.setdefault(r.category_id, []).append(
                (r.department_kind, r.department_id, r.region.path if r.region_id else "", r.joint))
        self.departments, self.rules = depts, rules
        self.names = {pk: name for pk, _kind, _paths, name in depts}
        self.department_objects = objects  # read-only instances for answers (a new case's lead department)

    def ensure(self):
        if time.monotonic() - self._loaded_at > CACHE_SECONDS:
            with self._lock:
                self._load()
                self._loaded_at = time.monotonic()

    def serving(self, kind: str, grid_path: str) -> list[tuple[int, int]]:
        """(department id, depth of the area it serves here) for departments of a kind serving the place."""
        out = []
        for pk, dkind, paths, _name in self.departments:
            if dkind != kind:
                continue
            depth = max((p.count("/") for p in paths if grid_path.startswith(p)), default=0)
            if depth:
                out.append((pk, depth))
        return out


directory = _Directory()


def category_by_code(code: str):
    """The category with this code (active or not) from the directory, or None."""
    directory.ensure()
    return directory.categories.get(code)


def _changed(**_kwargs):
    transaction.on_commit(directory.invalidate)  # this process at once; other processes within CACHE_SECONDS


def connect_invalidation():
    """Any saved or deleted category, rule or department reloads the directory (called from EventsConfig.ready)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from gridgov.accounts.models import Department
    from gridgov.events.models import Category, Route

    for model in (Category, Route, Department):
        post_save.connect(_changed, sender=model, dispatch_uid=f"routing-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"routing-{model.__name__}-delete")
    m2m_changed.connect(_changed, sender=Department.service_area.through, dispatch_uid="routing-service-area")


def _pick(candidates: list[tuple[int, int]], kind_of_category: str) -> tuple[list[int], int]:
    """The departments at the preferred depth: deepest for events (territorial), shallowest for components."""
    if not candidates:
        return [], 0
    depths = [d for _pk, d in candidates]
    best = max(depths) if kind_of_category == CategoryKind.EVENT else min(depths)
    return [pk for pk, d in candidates if d == best], best


def route_event(*, category, grid_path: str) -> Decision:
    directory.ensure()
    rules = [r for r in directory.rules.get(category.pk, []) if not r[2] or grid_path.startswith(r[2])]
    if not rules:
        return Decision(manual_reason=_("No routing rule for this category here."))
    lead, joint = None, []
    # Rules in priority order: the first department found leads; later ``joint`` rules add co-handlers
    # (网格吹哨、部门报到), later plain rules are fallbacks used only when nothing earlier was found.
    for dept_kind, dept_id, _region, is_joint in rules:
        if dept_id:
            chosen = [dept_id]
        else:
            chosen, _depth = _pick(directory.serving(dept_kind, grid_path), category.kind)
        if len(chosen) > 1:
            if lead is None:
                names = "、".join(directory.names[pk] for pk in chosen)
                return Decision(manual_reason=_("Several departments could handle it: %(names)s.")
                                % {"names": names})
            continue  # an ambiguous co-handler is left to the dispatcher; the lead stands
        if not chosen:
            continue
        if lead is None:
            lead = chosen[0]
        elif is_joint and chosen[0] != lead and chosen[0] not in joint:
            joint.append(chosen[0])
    if lead is None:
        return Decision(manual_reason=_("No department serving this place handles this category."))
    return Decision(lead_id=lead, joint_ids=joint)
