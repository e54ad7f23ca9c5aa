from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditLog(models.Model):
    """One row per audited action: who, what, when, from where, outcome, object. Append-only for the application."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        DENIED = "denied", _("denied")
        FAILED = "failed", _("failed")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"


class CalendarDay(TimeStampedModel):
    """An administrator's entry in the working-time calendar: a public holiday or a swapped weekend workday (调休).

    It overrides the bundled ``chinese_calendar`` data for that date and is how later years' State Council schedules
    are entered (gridgov.common.calendar, docs/calendar.md).
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday")
        WORKDAY = "workday", _("swapped workday")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True, help_text=_("e.g. Spring Festival"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["date"], name="calendarday_unique_date"),
            models.CheckConstraint(condition=models.Q(kind__in=["holiday", "workday"]), name="calendarday_kind_valid"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".rstrip()


class CalendarYear(TimeStampedModel):
    """A year whose official holiday schedule has been entered as CalendarDay rows (``published``): deadlines that
    fall in it are then exact rather than estimated from Monday–Friday."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)],
    )
    published = models.BooleanField(
        _("schedule entered"), default=False,
        help_text=_("Tick once every public holiday and swapped workday of the year has been entered."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("e.g. the State Council notice"))

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["year"], name="calendaryear_unique_year"),
            models.CheckConstraint(condition=models.Q(year__gte=2000, year__lte=2100), name="calendaryear_year_range"),
        ]

    def __str__(self):
        return str(self.year)


class OutboxMessage(models.Model):
    """A side effect to carry out after a change committed (gridgov.common.outbox, docs/outbox.md).

    Written in the same transaction as the change, so it exists if and only if the change committed; claimed by one
    worker at a time with a lease, delivered at least once, retried with exponential backoff.
    """

    topic = models.CharField(_("topic"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    available_at = models.DateTimeField(_("due at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=128, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["available_at", "id"]
        indexes = [
            models.Index(fields=["available_at", "id"], condition=models.Q(delivered_at__isnull=True),
                         name="outbox_pending_idx"),
        ]

    def __str__(self):
        return f"{self.topic} #{self.pk}"
