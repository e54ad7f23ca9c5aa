from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from gridgov.common.admin_site import AuditedModelAdmin
from gridgov.common.roles import Role
from gridgov.open311.models import Open311Client


@admin.register(Open311Client)
class Open311ClientAdmin(AuditedModelAdmin):
    """Open311 clients: the system administrator adds them (the key is shown once) and switches them off. The audit
    row records the key's hash only as changed (masked)."""

    view_roles, edit_roles = set(), {Role.SYS_ADMIN}
    list_display = ["name", "is_active", "created"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "is_active", "created"]
    readonly_fields = ["created"]

    def save_model(self, request, obj, form, change):
        key = None if change else obj.new_key()
        super().save_model(request, obj, form, change)
        if key:
            messages.warning(request, _("The api_key of %(name)s is %(key)s. Copy it now: it is stored only as a "
                                        "hash and cannot be shown again.") % {"name": obj.name, "key": key})
