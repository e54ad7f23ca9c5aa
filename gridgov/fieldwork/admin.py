"""Admin: only the patrol schedules (the rule of a patrol day) are edited here, by the system administrator. Points,
summaries and anomalies tell where a person was: they are shown on the scoped patrol pages only, never to the
administrators."""

from django.contrib import admin

from gridgov.common.admin_site import AuditedModelAdmin
from gridgov.common.roles import Role
from gridgov.fieldwork.models import PatrolSchedule


@admin.register(PatrolSchedule)
class PatrolScheduleAdmin(AuditedModelAdmin):
    view_roles, edit_roles = set(), {Role.SYS_ADMIN}
    list_display = ["kind", "name", "roles", "days_of_month", "min_minutes", "min_coverage", "is_active"]
    list_editable = ["min_minutes", "min_coverage", "is_active"]
