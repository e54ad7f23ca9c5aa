import json

from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gridgov.common.admin_site import AuditedModelAdmin
from gridgov.common.audit import client_ip
from gridgov.common.models import AuditLog, CalendarDay, CalendarYear, OutboxMessage
from gridgov.common.outbox import outbox_retry_now
from gridgov.common.roles import Role


@admin.register(AuditLog)
class AuditLogAdmin(AuditedModelAdmin):
    """The audit log: searchable by the audit administrator only, and read-only for everyone. The search also
    looks inside the detail (an object's name, a field, a value before or after a change)."""

    view_roles, edit_roles = {Role.AUDIT_ADMIN}, set()
    list_display = ["at", "actor_name", "action", "object_type", "object_id", "summary", "outcome", "ip"]
    list_filter = ["outcome", "action", "object_type"]
    search_fields = ["actor_name", "action", "object_type", "object_id"]
    date_hierarchy = "at"
    fields = ["at", "actor_name", "action", "object_type", "object_id", "outcome", "ip", "detail_text"]
    readonly_fields = ["detail_text"]
    show_full_result_count = False  # no second COUNT(*) over a large table on every search

    def get_search_results(self, request, queryset, search_term):
        found, distinct = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            # PostgreSQL casts jsonb to text with the characters themselves, while SQLite keeps the JSON text as
            # written, with \uXXXX escapes for non-ASCII characters. So the search matches either spelling.
            escaped = json.dumps(term)[1:-1]
            found = found | queryset.filter(Q(detail__icontains=term) | Q(detail__icontains=escaped))
        return found, distinct

    @admin.display(description=_("object and changes"))
    def summary(self, obj):
        detail = obj.detail if isinstance(obj.detail, dict) else {}
        text = str(detail.get("object", ""))
        if isinstance(detail.get("changes"), dict):
            text = f"{text}: {', '.join(detail['changes'])}"
        return Truncator(text).chars(80)

    @admin.display(description=_("detail"))
    def detail_text(self, obj):
        return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
                           json.dumps(obj.detail, ensure_ascii=False, indent=2, sort_keys=True))


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


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    """Public holidays and swapped workdays (调休) entered by the system administrator; they override the bundled
    chinese_calendar data and are how later years' State Council schedules are entered (docs/calendar.md)."""

    view_roles, edit_roles = set(), {Role.SYS_ADMIN}
    can_delete = True  # a mistaken entry must be removable; deletions are audited
    list_display = ["date", "weekday", "kind", "name", "note"]
    list_filter = ["kind", CalendarYearListFilter]
    search_fields = ["name", "note"]
    date_hierarchy = "date"
    fields = ["date", "kind", "name", "note"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return date_format(obj.date, "l")


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedModelAdmin):
    """Years whose official schedule has been entered: their deadlines are no longer flagged as estimated."""

    view_roles, edit_roles = set(), {Role.SYS_ADMIN}
    can_delete = True
    list_display = ["year", "published", "note"]
    list_filter = ["published"]
    fields = ["year", "published", "note"]


class OutboxStateFilter(admin.SimpleListFilter):
    """Where a message stands (docs/outbox.md): the same states as the "state" column."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("waiting", _("waiting")), ("claimed", _("being delivered")), ("failing", _("failing, will retry")),
                ("delivered", _("delivered"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        live = Q(claimed_until__gte=now)
        value = self.value()
        if value == "delivered":
            return queryset.filter(delivered_at__isnull=False)
        if value == "claimed":
            return queryset.filter(live, delivered_at__isnull=True)
        if value == "failing":
            return queryset.filter(delivered_at__isnull=True, attempts__gt=0).exclude(live)
        if value == "waiting":
            return queryset.filter(delivered_at__isnull=True, attempts=0).exclude(live)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AuditedModelAdmin):
    """The outbox queue, for the system administrator: read-only (payloads are never edited here), with "retry now"
    for failing messages."""

    view_roles, edit_roles = {Role.SYS_ADMIN}, set()
    list_display = ["id", "topic", "state", "attempts", "created_at", "available_at", "delivered_at", "claimed_by",
                    "error"]
    list_filter = [OutboxStateFilter, "topic"]
    search_fields = ["=id", "topic", "dedupe_key", "claimed_by", "last_error"]
    ordering = ["-id"]
    actions = ["retry_now"]
    show_full_result_count = False  # no second COUNT(*) over a large table on every search

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.delivered_at is not None:
            return _("delivered")
        if obj.claimed_until is not None and obj.claimed_until >= timezone.now():
            return _("being delivered")
        return _("failing, will retry") if obj.attempts else _("waiting")

    @admin.display(description=_("last error"))
    def error(self, obj):
        return Truncator(obj.last_error).chars(80)

    def has_retry_permission(self, request):
        return self._role(request) == Role.SYS_ADMIN

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        ids = list(queryset.values_list("id", flat=True))
        count = outbox_retry_now(actor=request.user, ids=ids, ip=client_ip(request))
        if count:
            self.message_user(request, ngettext(
                "%(count)d message is due now: a running worker delivers it within seconds.",
                "%(count)d messages are due now: a running worker delivers them within seconds.", count)
                % {"count": count}, messages.SUCCESS)
        if len(ids) > count:
            self.message_user(request, ngettext(
                "%(count)d message was left alone: delivered already, or a worker is delivering it right now.",
                "%(count)d messages were left alone: delivered already, or a worker is delivering them right now.",
                len(ids) - count) % {"count": len(ids) - count}, messages.WARNING)
