from django.contrib import admin

from gridgov.visits.models import Visit, VisitPhoto


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    fields = ("file", "thumbnail", "taken_at", "lon", "lat")
    readonly_fields = fields
    can_delete = False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    """Read-only: visits are recorded by field staff through the app (services.visit_record, audited)."""

    list_display = ("visited_at", "worker", "grid", "purpose", "household", "person", "unit")
    list_filter = ("purpose",)
    date_hierarchy = "visited_at"
    inlines = [VisitPhotoInline]
    readonly_fields = ("worker", "visited_at", "recorded_at", "client_key", "household", "person", "unit", "grid",
                       "region_path", "purpose", "findings", "lon", "lat")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
