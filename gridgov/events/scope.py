"""Which cases an account may see: its part of the region tree, or — for a department — what it was sent."""

from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet

from gridgov.accounts.scope import scope_paths
from gridgov.common.roles import Role

CASE_ROLES = {Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER}


def restrict_events(qs: QuerySet, user, action: str = "view") -> QuerySet:
    if getattr(user, "role", None) == "citizen":  # citizen.CitizenActor: their own case only
        return qs.filter(pk=user.event_id)
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.role == Role.DEPT_HANDLER:
        from gridgov.events.models import Assignment

        sent = Assignment.objects.filter(event=OuterRef("pk"), department_id=user.department_id)
        return qs.filter(Exists(sent))
    if user.role not in CASE_ROLES:
        return qs.none()  # the three administrators do not handle cases
    paths = scope_paths(user, "view") or []
    in_area = reduce(or_, (Q(region_path__startswith=p) for p in paths), Q(pk__in=[]))
    return qs.filter(in_area | Q(reporter=user))
