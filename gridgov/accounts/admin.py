from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department, User
from gridgov.common.admin_site import RoleAdminMixin
from gridgov.common.roles import ADMIN_ROLES, Role


@admin.register(User)
class UserAdmin(RoleAdminMixin, BaseUserAdmin):
    """Accounts are the security administrator's work; the system administrator may look them up."""

    view_roles, edit_roles = {Role.SYS_ADMIN}, {Role.SEC_ADMIN}
    list_display = ["username", "full_name", "role", "region", "department", "is_active", "last_login"]
    list_filter = ["role", "is_active", "employment"]
    search_fields = ["username", "full_name"]
    autocomplete_fields = ["region", "department"]
    filter_horizontal = ["grids"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "phone", "employment")}),
        (_("Role and scope"), {"fields": ("role", "region", "department", "grids", "is_active")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2", "full_name",
                                                               "role", "region", "department")}),)
    readonly_fields = ["last_login", "date_joined"]

    # 三员分立: the security administrator manages staff accounts but can neither create nor change the
    # accounts of the three administrators (those are provisioned with `gridgov createsuperuser`-style
    # commands on the server), so no administrator can grant themselves another's powers.
    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.role in ADMIN_ROLES:
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(v, label) for v, label in Role.choices if v not in ADMIN_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Department)
class DepartmentAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles, edit_roles = {Role.SEC_ADMIN}, {Role.SYS_ADMIN}
    list_display = ["code", "name", "kind", "region", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]
    filter_horizontal = ["service_area"]
