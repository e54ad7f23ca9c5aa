from django.contrib import admin

from gridgov.accounts.choices import Role
from gridgov.common.models import AuditLog
from gridgov.web.admin_site import RoleAdminMixin


@admin.register(AuditLog)
class AuditLogAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The audit log: searchable by the audit administrator only, and read-only for everyone."""

    view_roles, edit_roles = {Role.AUDIT_ADMIN}, set()
    list_display = ["at", "actor_name", "action", "object_type", "object_id", "outcome", "ip"]
    list_filter = ["outcome", "action"]
    search_fields = ["actor_name", "action", "object_id"]
    date_hierarchy = "at"
