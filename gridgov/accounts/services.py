"""Writes to accounts and departments."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.accounts.choices import DepartmentKind, Employment
from gridgov.accounts.models import Department, User
from gridgov.common.audit import audit_record
from gridgov.common.errors import ValidationFailed
from gridgov.common.roles import ADMIN_ROLES, Role
from gridgov.regions.choices import GRID_LEVELS, Level
from gridgov.regions.models import Region


def _regions_by_code(codes, *, field: str) -> list[Region]:
    codes = list(dict.fromkeys(codes or []))
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed(_("Unknown regions: %(codes)s.") % {"codes": "、".join(missing)}, field=field)
    return [found[c] for c in codes]


def user_check_binding(*, role: str, region: Region | None, department: Department | None,
                       grids: list[Region]) -> None:
    """Each role is bound to what it needs: a worker to grids, staff to an org unit, a handler to a department."""
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role %(role)s.") % {"role": role}, field="role")
    if role == Role.GRID_WORKER and not grids:
        raise ValidationFailed(_("A grid worker serves at least one grid."), field="grids")
    if any(g.level not in GRID_LEVELS for g in grids):
        raise ValidationFailed(_("Only grids can be served by a worker."), field="grids")
    if role == Role.DEPT_HANDLER and department is None:
        raise ValidationFailed(_("A department handler belongs to a department."), field="department")
    if role in (Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER, Role.GRID_LEADER) and region is None:
        raise ValidationFailed(_("This role is bound to an org unit in the region tree."), field="region")
    if role == Role.COMMUNITY_STAFF and region.level != Level.COMMUNITY:
        raise ValidationFailed(_("Community staff belong to a community or village."), field="region")
    if role == Role.GRID_LEADER and region.level != Level.GRID:
        raise ValidationFailed(_("A grid leader leads a grid."), field="region")
    if role == Role.DISPATCHER and region.level not in (Level.DISTRICT, Level.STREET):
        raise ValidationFailed(_("Dispatchers work in a district or street command centre."), field="region")


@transaction.atomic
def user_create(*, actor, username: str, password: str, role: str, full_name: str = "", region_code: str = "",
                department_code: str = "", grid_codes: list[str] | None = None, employment: str = "",
                phone: str = "") -> User:
    if not username or User.objects.filter(username=username).exists():
        raise ValidationFailed(_("This username is empty or already taken."), field="username")
    region = _regions_by_code([region_code], field="region")[0] if region_code else None
    department = None
    if department_code:
        department = Department.objects.filter(code=department_code).first()
        if department is None:
            raise ValidationFailed(_("No department has the code %(code)s.") % {"code": department_code},
                                   field="department")
    grids = _regions_by_code(grid_codes, field="grids")
    user_check_binding(role=role, region=region, department=department, grids=grids)
    if employment and employment not in Employment.values:
        raise ValidationFailed(_("Unknown employment %(value)s.") % {"value": employment}, field="employment")
    user = User(username=username, full_name=full_name, role=role, region=region, department=department,
                employment=employment, phone=phone, is_staff=role in ADMIN_ROLES)
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save()
    user.grids.set(grids)
    audit_record(actor=actor, action="user.create", obj=user, detail={"role": role})
    return user


@transaction.atomic
def department_create(*, actor, code: str, name: str, kind: str, region: Region,
                      service_area: list[Region] | None = None, phone: str = "") -> Department:
    if kind not in DepartmentKind.values:
        raise ValidationFailed(_("Unknown department kind %(value)s.") % {"value": kind}, field="kind")
    if Department.objects.filter(code=code).exists():
        raise ValidationFailed(_("The code %(code)s is already in use.") % {"code": code}, field="code")
    if region.level not in (Level.DISTRICT, Level.STREET):
        raise ValidationFailed(_("A department belongs to a district or a street."), field="region")
    dept = Department.objects.create(code=code, name=name, kind=kind, region=region, phone=phone)
    if service_area:
        dept.service_area.set(service_area)
    audit_record(actor=actor, action="department.create", obj=dept)
    return dept
