"""Reads of cases: queues for the workbench and inbox, one case with its timeline. Overdue and "about to expire"
are derived from the stored deadline and warning time in the query, never from timers."""

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.errors import NotFound
from gridgov.events.choices import RUNNING, Status
from gridgov.events.models import Category, Event

QUEUES = {
    "to_accept": lambda now: Q(status=Status.REPORTED),
    "to_dispatch": lambda now: Q(status__in=[Status.ACCEPTED, Status.REGISTERED]),
    "returned": lambda now: Q(status=Status.RETURNED),
    "expiring": lambda now: Q(status__in=RUNNING, warn_at__lte=now, deadline__gt=now),
    "overdue": lambda now: Q(status__in=RUNNING, deadline__lte=now),
    "supervised": lambda now: Q(status__in=RUNNING, supervised=True),
    "to_verify": lambda now: Q(status=Status.HANDLED),
    "to_rate": lambda now: Q(status=Status.CLOSED),
    "open": lambda now: ~Q(status__in=[Status.REJECTED, Status.CLOSED, Status.RATED, Status.ARCHIVED,
                                      Status.CANCELLED]),
}


def event_list(*, user, queue: str | None = None, status: str | None = None, category: str | None = None,
               q: str | None = None) -> QuerySet:
    qs = Event.objects.restrict(user).select_related("category", "grid", "lead_department")
    if queue:
        if queue not in QUEUES:
            from gridgov.common.errors import ValidationFailed

            raise ValidationFailed(_("Unknown queue %(queue)s.") % {"queue": queue}, field="queue")
        qs = qs.filter(QUEUES[queue](timezone.now()))
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q))
    return qs.order_by("deadline", "-reported_at") if queue in ("expiring", "overdue") else qs


def queue_counts(*, user) -> dict[str, int]:
    base = Event.objects.restrict(user)
    now = timezone.now()
    return {name: base.filter(cond(now)).count() for name, cond in QUEUES.items() if name != "open"}


def access_event(user, event_id: int) -> Event:
    event = (Event.objects.restrict(user).select_related("category", "grid", "lead_department", "duplicate_of")
             .filter(pk=event_id).first())
    if event is None:
        raise NotFound(_("No such case, or it is outside your area."))
    return event


def is_overdue(event: Event, now=None) -> bool:
    return bool(event.deadline and event.status in RUNNING and event.deadline <= (now or timezone.now()))


def is_expiring(event: Event, now=None) -> bool:
    now = now or timezone.now()
    return bool(event.warn_at and event.status in RUNNING and event.warn_at <= now < event.deadline)


def category_tree() -> list[Category]:
    return list(Category.objects.filter(is_active=True).select_related("parent").order_by("sort_order", "code"))
