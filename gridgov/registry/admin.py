"""The registry in the admin: only the tag list (master data), edited by the system administrator.

People, houses, units and organisations are deliberately not in the admin: the admin belongs to the three
administrators (三员), who keep the system and do not read the population register (see registry/policy.py);
the registry pages and API, masked and scoped, are where that data is seen.
"""

from django.contrib import admin

from gridgov.common.admin_site import AuditedModelAdmin
from gridgov.common.roles import Role
from gridgov.registry.models import Tag


@admin.register(Tag)
class TagAdmin(AuditedModelAdmin):
    view_roles, edit_roles = set(), {Role.SYS_ADMIN}
    list_display = ["code", "name", "group", "visit_every_days", "is_active", "sort_order"]
    list_editable = ["visit_every_days", "is_active", "sort_order"]
    list_filter = ["group", "is_active"]
    search_fields = ["code", "name"]
