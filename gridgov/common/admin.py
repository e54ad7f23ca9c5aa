from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.choices import Role
from gridgov.common.audit import audit_record, client_ip
from gridgov.common.models import AuditLog, CalendarDay, CalendarYear
from gridgov.web.admin_site import RoleAdminMixin


@admin.register(AuditLog)
class AuditLogAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The audit log: searchable by the audit administrator only, and read-only for everyone."""

    view_roles, edit_roles = {Role.AUDIT_ADMIN}, set()
    list_display = ["at", "actor_name", "action", "object_type", "object_id", "outcome", "ip"]
    list_filter = ["outcome", "action"]
    search_fields = ["actor_name", "action", "object_id"]
    date_hierarchy = "at"


class CalendarYearListFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).dates("date", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


class CalendarAuditMixin:
    """Calendar entries move event deadlines, so every change by an administrator is audited."""

    audit_prefix = ""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action=f"{self.audit_prefix}.{'update' if change else 'create'}", obj=obj,
                     ip=client_ip(request), detail={"value": str(obj), "changed": list(form.changed_data)})

    def delete_model(self, request, obj):
        pk, value = obj.pk, str(obj)
        super().delete_model(request, obj)
        audit_record(actor=request.user, action=f"{self.audit_prefix}.delete", object_type=obj._meta.label_lower,
                     object_id=pk, ip=client_ip(request), detail={"value": value})

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAuditMixin, RoleAdminMixin, admin.ModelAdmin):
    """Public holidays and swapped workdays (调休) entered by the system administrator; they override the bundled
    chinese_calendar data and are how later years' State Council schedules are entered (docs/calendar.md)."""

    view_roles, edit_roles = {Role.SEC_ADMIN}, {Role.SYS_ADMIN}
    can_delete = True  # a mistaken entry must be removable; deletions are audited
    audit_prefix = "calendar_day"
    list_display = ["date", "weekday", "kind", "name", "note"]
    list_filter = ["kind", CalendarYearListFilter]
    search_fields = ["name", "note"]
    date_hierarchy = "date"
    fields = ["date", "kind", "name", "note"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return date_format(obj.date, "l")


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAuditMixin, RoleAdminMixin, admin.ModelAdmin):
    """Years whose official schedule has been entered: their deadlines are no longer flagged as estimated."""

    view_roles, edit_roles = {Role.SEC_ADMIN}, {Role.SYS_ADMIN}
    can_delete = True
    audit_prefix = "calendar_year"
    list_display = ["year", "published", "note"]
    list_filter = ["published"]
    fields = ["year", "published", "note"]
