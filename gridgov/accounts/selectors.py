"""Reads of accounts and departments (scoped by ``Model.objects.restrict``, gridgov/common/scoping.py)."""

from django.db.models import Q

from gridgov.accounts.models import Department, User
from gridgov.common.scoping import ancestor_paths


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
