"""Accounts API: who am I, colleagues in scope, departments."""

from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from gridgov.accounts.models import Department, User
from gridgov.common.api_errors import responses
from gridgov.common.api_types import Id, Page
from gridgov.common.errors import NotFound
from gridgov.common.masking import mask_phone

router = Router(tags=["accounts"])


class UserOut(Schema):
    id: int
    username: str
    name: str
    role: str
    role_label: str
    region: str | None
    department: str | None
    grids: list[str]
    employment: str
    phone: str

    @staticmethod
    def resolve_name(obj):
        return obj.display_name

    @staticmethod
    def resolve_role_label(obj):
        return obj.get_role_display()

    @staticmethod
    def resolve_region(obj):
        return obj.region.code if obj.region_id else None

    @staticmethod
    def resolve_department(obj):
        return obj.department.code if obj.department_id else None

    @staticmethod
    def resolve_grids(obj):
        return sorted(g.code for g in obj.grids.all())

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.phone)


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    region: str
    service_area: list[str]
    phone: str

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_region(obj):
        return obj.region.code

    @staticmethod
    def resolve_service_area(obj):
        return sorted(r.code for r in obj.service_area.all())


@router.get("/me", response=responses(UserOut, invalid=False), summary="The logged-in account")
def me(request):
    return User.objects.select_related("region", "department").prefetch_related("grids").get(pk=request.user.pk)


@router.get("/users", response=responses(list[UserOut]), summary="Accounts visible to you")
@paginate(Page, page_size=100)
def user_list(request, role: Annotated[str, Field(max_length=32)] | None = None):
    qs = User.objects.filter(is_active=True).restrict(request.user)
    if role:
        qs = qs.filter(role=role)
    return qs.select_related("region", "department").prefetch_related("grids").order_by("username")


@router.get("/departments", response=responses(list[DepartmentOut]), summary="Departments visible to you")
@paginate(Page, page_size=100)
def department_list(request):
    return (Department.objects.filter(is_active=True).restrict(request.user)
            .select_related("region").prefetch_related("service_area").order_by("code"))


@router.get("/departments/{dept_id}", response=responses(DepartmentOut, not_found=True), summary="One department")
def department_detail(request, dept_id: Id):
    dept = Department.objects.filter(pk=dept_id).restrict(request.user).select_related("region").first()
    if dept is None:
        raise NotFound(_("No such department, or it is outside your area."))
    return dept
