"""Who may record, see and review patrols: deny by default, scoped by the region tree.

* Grid workers and grid leaders record their own patrols (GPS points, sessions).
* A grid worker sees their own patrols only; grid leaders, community staff, dispatchers and leaders see the workers
  whose grids lie in their part of the tree. The three administrators and department handlers see none.
* Anomalies are for the command center: dispatchers, leaders, community staff and grid leaders in scope see them;
  dispatchers and community staff review them (never one about themselves).
"""

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from gridgov.accounts.scope import scope_paths
from gridgov.common.roles import Role

PATROL_ROLES = {Role.GRID_WORKER, Role.GRID_LEADER}
SUPERVISOR_ROLES = {Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER}
ANOMALY_VIEW_ROLES = {Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER}
ANOMALY_REVIEW_ROLES = {Role.COMMUNITY_STAFF, Role.DISPATCHER}


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _paths_q(paths: list[str], field: str) -> Q:
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths), Q(pk__in=[]))


def restrict_workers(qs: QuerySet, user) -> QuerySet:
    """The accounts (of ``qs``) whose patrols ``user`` may see."""
    if not _active(user):
        return qs.none()
    if user.role == Role.GRID_WORKER:
        return qs.filter(pk=user.pk)
    if user.role not in SUPERVISOR_ROLES:
        return qs.none()
    paths = scope_paths(user, "view") or []
    ids = qs.model.objects.filter(_paths_q(paths, "grids__path")).values("pk")
    return qs.filter(Q(pk__in=ids) | Q(pk=user.pk))


def restrict_by_worker(qs: QuerySet, user, field: str = "worker") -> QuerySet:
    """Rows (patrol days, sessions) of the workers ``user`` may see."""
    from gridgov.accounts.models import User

    if not _active(user):
        return qs.none()
    if user.role == Role.GRID_WORKER:
        return qs.filter(**{f"{field}_id": user.pk})
    return qs.filter(**{f"{field}_id__in": restrict_workers(User.objects.all(), user).values("pk")})


def restrict_anomalies(qs: QuerySet, user) -> QuerySet:
    if not _active(user) or user.role not in ANOMALY_VIEW_ROLES:
        return qs.none()
    paths = scope_paths(user, "view") or []
    return qs.filter(_paths_q(paths, "region_path"))
