from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import router, transaction
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department, User
from gridgov.common.admin_site import AuditedAdminMixin, AuditedModelAdmin
from gridgov.common.roles import ADMIN_ROLES, Role

# Who may do what is the account's role (gridgov.common.roles), not Django's groups and permissions: groups are
# not offered in the admin, so nobody can grant through them what a role does not allow.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    """Accounts are the security administrator's work alone (三员: docs/permissions.md). Every change — role, org
    unit, department, grids, active flag, a new account, a password set here — is audited field by field, the
    password only as "changed"."""

    view_roles, edit_roles = set(), {Role.SEC_ADMIN}
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

    def user_change_password(self, request, id, form_url=""):
        """Django's password form, in one transaction with its audit row (``admin.password_change``)."""
        request._gridgov_audit_action = "admin.password_change"
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().user_change_password(request, id, form_url)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(v, label) for v, label in Role.choices if v not in ADMIN_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    """Departments are master data (the system administrator's); the security administrator only picks one for an
    account, by name, in the account form."""

    view_roles, edit_roles, lookup_roles = set(), {Role.SYS_ADMIN}, {Role.SEC_ADMIN}
    list_display = ["code", "name", "kind", "region", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]
    filter_horizontal = ["service_area"]
