"""Who may see and change what: deny by default, scope every query by the region tree.

A user's *scope* is a list of tree paths; they may see those regions and everything below them.
``None`` means the whole territory; an empty list means nothing.
"""

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from gridgov.common.roles import Role

VIEW = "view"
CHANGE = "change"

# Who may change the master data of the territory (regions, layers, departments).
MASTER_DATA_EDITORS = {Role.SYS_ADMIN}
# Who sees the whole territory regardless of their org unit.
WHOLE_TERRITORY_VIEWERS = {Role.SYS_ADMIN, Role.SEC_ADMIN}


def _is_staff_user(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def scope_paths(user, action: str = VIEW) -> list[str] | None:
    """Tree paths the user may act on (and everything below them), or None for everything."""
    if not _is_staff_user(user):
        return []
    cache = user.__dict__.setdefault("_gridgov_scope", {})
    if action in cache:
        return cache[action]
    result = _compute_scope(user, action)
    cache[action] = result
    return result


def _compute_scope(user, action: str) -> list[str] | None:
    role = user.role
    if action == CHANGE:
        return None if role in MASTER_DATA_EDITORS else []
    if action != VIEW:
        return []
    if role in WHOLE_TERRITORY_VIEWERS:
        return None
    if role == Role.GRID_WORKER:
        return sorted(user.grids.values_list("path", flat=True))
    if role == Role.GRID_LEADER:
        paths = set(user.grids.values_list("path", flat=True))
        if user.region_id:
            paths.add(user.region.path)
        return sorted(paths)
    if role in (Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER):
        return [user.region.path] if user.region_id else []
    if role == Role.DEPT_HANDLER and user.department_id:
        dept = user.department
        paths = list(dept.service_area.values_list("path", flat=True))
        return paths or [dept.region.path]
    return []


def _path_q(paths: list[str], field: str) -> Q:
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def restrict_regions(qs: QuerySet, user, action: str = VIEW) -> QuerySet:
    paths = scope_paths(user, action)
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    return qs.filter(_path_q(paths, "path"))


def restrict_layer_grids(qs: QuerySet, user, action: str = VIEW) -> QuerySet:
    """A layer grid is visible when it overlaps a base grid in the user's scope, or lies inside the scope."""
    paths = scope_paths(user, action)
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    from gridgov.regions.models import LayerGridMember

    overlapping = LayerGridMember.objects.filter(_path_q(paths, "region__path")).values("layer_grid_id")
    return qs.filter(Q(pk__in=overlapping) | _path_q(paths, "region__path"))


def region_in_scope(user, region, action: str = VIEW) -> bool:
    paths = scope_paths(user, action)
    if paths is None:
        return True
    return any(region.path.startswith(p) for p in paths)


def can_change_master_data(user) -> bool:
    return _is_staff_user(user) and user.role in MASTER_DATA_EDITORS


def _directory_access(qs: QuerySet, user) -> QuerySet | None:
    """Accounts and departments: the system and security administrators see all, the audit administrator (and
    anyone not logged in) none; None means "decide by the user's scope"."""
    if not _is_staff_user(user) or user.role == Role.AUDIT_ADMIN:
        return qs.none()
    if user.role in (Role.SYS_ADMIN, Role.SEC_ADMIN):
        return qs
    return None


def restrict_users(qs: QuerySet, user) -> QuerySet:
    """Accounts visible to a user: administrators see all accounts; staff see colleagues inside their scope."""
    decided = _directory_access(qs, user)
    if decided is not None:
        return decided
    paths = scope_paths(user, VIEW)
    if not paths:
        return qs.filter(pk=user.pk)
    in_scope = _path_q(paths, "region__path") | _path_q(paths, "grids__path")
    return qs.filter(in_scope | Q(pk=user.pk)).distinct()


def restrict_departments(qs: QuerySet, user) -> QuerySet:
    decided = _directory_access(qs, user)
    if decided is not None:
        return decided
    if user.role == Role.DEPT_HANDLER:
        return qs.filter(pk=user.department_id)
    paths = scope_paths(user, VIEW)
    if not paths:
        return qs.none()
    # Departments serving any part of the user's scope, or belonging to a region above it.
    serving = _path_q(paths, "service_area__path") | _path_q(paths, "region__path")
    above = Q(region__path__in=_ancestor_paths(paths))
    return qs.filter(serving | above).distinct()


def _ancestor_paths(paths: list[str]) -> list[str]:
    result = set()
    for path in paths:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            result.add("/" + "/".join(parts[:i]) + "/")
    return sorted(result)
