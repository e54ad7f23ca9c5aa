"""Reads of accounts and departments (scoped by ``Model.objects.restrict``, gridgov/common/scoping.py)."""

from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department, User
from gridgov.common.roles import Role
from gridgov.common.scoping import ancestor_paths


def person_related(field: str) -> tuple[str, str]:
    """What ``person_label`` reads of the account in ``field``: pass to ``select_related`` (no query per row)."""
    return f"{field}__department", f"{field}__region"


def person_label(user) -> str:
    """A person as the people working on a case know them: the full name and where they work — the department
    of a handler ("张伟（新安派出所）"), the org unit and role of command-centre and community staff
    ("李娜（新安街道 · 坐席员）"), the role of grid staff ("陈明（网格员）") — never the login name alone."""
    if user is None:
        return ""
    name = user.full_name or user.username
    if user.role == Role.DEPT_HANDLER and user.department_id:
        where = user.department.name
    elif user.role in (Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.LEADER) and user.region_id:
        where = f"{user.region.name} · {_short_role(user.role)}"
    else:
        where = _short_role(user.role)
    return f"{name}（{where}）"


def _short_role(role: str) -> str:
    return {Role.LEADER: _("leader"), Role.COMMUNITY_STAFF: _("staff")}.get(role) or str(Role(role).label)


def actor_label(name: str) -> str:
    """Who made a move that no account made: the system (automatic steps), the citizen (a rating through the
    private link), or the name stored with the move."""
    return {"system": _("the system"), "citizen": _("the citizen")}.get(name, name)


def region_responsible(region) -> dict:
    """The people and units responsible for a region: its workers, its staff, and the departments serving it."""
    workers = list(User.objects.filter(grids=region, is_active=True).order_by("role", "username"))
    staff = list(User.objects.filter(region=region, is_active=True).order_by("role", "username"))
    above = ancestor_paths([region.path])
    departments = list(
        Department.objects.filter(is_active=True)
        .filter(Q(service_area__path__in=above) | (Q(service_area=None) & Q(region__path__in=above)))
        .distinct()
        .order_by("code")
    )
    return {"workers": workers, "staff": staff, "departments": departments}


def users_by_id(ids) -> dict:
    """Accounts by id (for naming the people a computation found)."""
    return User.objects.in_bulk(list(ids))


def grid_worker_count(*, user) -> int:
    """Active grid workers attached inside the user's part of the tree."""
    return User.objects.filter(role=Role.GRID_WORKER, is_active=True).restrict(user).count()


def active_account_count(*, active: bool = True) -> int:
    """Active (or disabled) accounts: the security administrator keeps them all."""
    return User.objects.filter(is_active=active).count()
