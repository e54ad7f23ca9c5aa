from django.contrib import admin

from gridgov.disputes.models import Dispute, DisputeTransition, MediationStep


class StepInline(admin.TabularInline):
    model = MediationStep
    extra = 0
    fields = ("at", "kind", "by", "note")
    readonly_fields = fields
    can_delete = False


class TransitionInline(admin.TabularInline):
    model = DisputeTransition
    extra = 0
    fields = ("at", "action", "from_status", "to_status", "actor_name", "reason")
    readonly_fields = fields
    can_delete = False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Read-only: disputes move only through disputes.services (one gatekeeper, audited). Parties (with their
    phones) are not shown here: the dispute pages show them masked."""

    list_display = ("number", "kind", "grid", "status", "registered_at")
    list_filter = ("status", "kind")
    search_fields = ("number",)
    date_hierarchy = "registered_at"
    inlines = [StepInline, TransitionInline]
    fields = ("number", "kind", "summary", "grid", "status", "version", "registered_at", "registered_by", "mediator",
              "settled_at", "outcome", "agreement", "follow_up_due", "followed_up_at", "event")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
