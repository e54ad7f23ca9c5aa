"""Reads of cases: queues for the workbench and inbox, one case with its timeline. Overdue and "about to expire"
are derived from the stored deadline and warning time in the query, never from timers."""

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.selectors import actor_label, person_label, person_related
from gridgov.common.errors import NotFound
from gridgov.common.roles import Role
from gridgov.events.choices import RUNNING, PhotoKind, Status
from gridgov.events.models import Assignment, Category, Event, Transition

NOTHING = Q(pk__in=[])
# Where a case waits for a dispatcher's decision (accept, dispatch, re-dispatch): what an escalation hands up.
AWAITING_DISPATCHER = [Status.REPORTED, Status.ACCEPTED, Status.REGISTERED, Status.RETURNED]

QUEUES = {
    "mine": lambda now: NOTHING,  # replaced per user in _queue (cases I reported)
    "mine_open": lambda now: NOTHING,  # replaced per user in _queue (cases I reported that are not closed)
    "escalated": lambda now: NOTHING,  # replaced per user in _queue (escalated to my level)
    "to_sign": lambda now: Q(status=Status.DISPATCHED),
    "handling": lambda now: Q(status=Status.HANDLING),
    "to_accept": lambda now: Q(status=Status.REPORTED),
    "to_dispatch": lambda now: Q(status__in=[Status.ACCEPTED, Status.REGISTERED]),
    "returned": lambda now: Q(status=Status.RETURNED),
    "expiring": lambda now: Q(status__in=RUNNING, warn_at__lte=now, deadline__gt=now),
    "overdue": lambda now: Q(status__in=RUNNING, deadline__lte=now),
    "supervised": lambda now: Q(status__in=RUNNING, supervised=True),
    "to_verify": lambda now: Q(status=Status.HANDLED),
    "to_rate": lambda now: Q(status=Status.CLOSED),
    "unsatisfied": lambda now: Q(status=Status.UNSATISFIED),
    "extension_requested": lambda now: Q(status__in=RUNNING) & Q(pk__in=_pending_extension().values("event_id")),
    "open": lambda now: ~Q(status__in=[Status.REJECTED, Status.CLOSED, Status.RATED, Status.ARCHIVED,
                                      Status.CANCELLED]),
}


def _pending_extension():
    """Requests for more time made since their case was (re)dispatched and not approved since (few rows: the
    queue's case ids are computed once from them)."""
    approved_later = Transition.objects.filter(event=OuterRef("event"), action="approve_extension",
                                               pk__gt=OuterRef("pk"))
    return Transition.objects.filter(action="request_extension", at__gte=F("event__dispatched_at")).filter(
        ~Exists(approved_later))


def _queue(name: str, user, now) -> Q:
    """A queue's condition for this user. A department's queues follow its own part: 待签收 and 处置中 what it has
    to sign for or report on (an assisting department signs for and reports on its part while the lead holds the
    case, ``Assignment``); 已退回 the cases it returned that wait for a dispatcher; the deadline queues the cases it
    holds now (not those it returned and another department holds)."""
    if name == "mine":
        return Q(reporter=user)
    if name == "mine_open":
        return Q(reporter=user) & QUEUES["open"](now)
    if name == "escalated":  # 上报上级: handed up to my level and waiting for a decision here
        region_id = getattr(user, "region_id", None)
        return Q(handling_region_id=region_id, status__in=AWAITING_DISPATCHER) if region_id else NOTHING
    if getattr(user, "role", None) == Role.DEPT_HANDLER:
        return _department_queue(name, user.department_id, now)
    return QUEUES[name](now)


def _department_queue(name: str, department_id, now) -> Q:
    """The cases of the department's parts as id sets computed once (uncorrelated: see ``models._sent_or_own``)."""
    parts = Assignment.objects.filter(department_id=department_id)
    mine = parts.filter(active=True)

    def held(part_qs) -> Q:
        return Q(pk__in=part_qs.values("event_id"))

    if name == "to_sign":
        return Q(status__in=RUNNING) & held(mine.filter(signed_at__isnull=True))
    if name == "handling":
        return Q(status=Status.HANDLING) & held(mine.filter(signed_at__isnull=False).filter(
            Q(is_lead=True) | Q(reported_at__isnull=True)))
    if name == "returned":  # returned by us (we were the last lead) and not dispatched again yet
        later_lead = Assignment.objects.filter(event=OuterRef("event"), is_lead=True, pk__gt=OuterRef("pk"))
        return Q(status=Status.RETURNED) & held(parts.filter(is_lead=True).filter(~Exists(later_lead)))
    if name == "extension_requested":  # asked by the lead, so by us only when we lead
        return QUEUES[name](now) & held(mine.filter(is_lead=True))
    return QUEUES[name](now) & held(mine)


def event_list(*, user, queue: str | None = None, status: str | None = None, category: str | None = None,
               q: str | None = None) -> QuerySet:
    qs = Event.objects.restrict(user).select_related("category", "grid", "lead_department")
    if getattr(user, "role", None) == Role.DEPT_HANDLER:
        qs = qs.prefetch_related("assignments")  # which moves are the department's (workflow.may_act), no N+1
    if queue:
        if queue not in QUEUES:
            from gridgov.common.errors import ValidationFailed

            raise ValidationFailed(_("Unknown queue %(queue)s.") % {"queue": queue}, field="queue")
        qs = qs.filter(_queue(queue, user, timezone.now()))
        if queue == "extension_requested":  # what the department said it needs the time for
            asked = _pending_extension().filter(event=OuterRef("pk")).order_by("-pk").values("reason")[:1]
            qs = qs.annotate(extension_reason=Subquery(asked))  # one page of rows, one lookup each
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q))
    return qs.order_by("deadline", "-reported_at") if queue in ("expiring", "overdue") else qs


# The queues each role works from, in tab order (the workbench, the department inbox, the worker's list).
ROLE_QUEUES = {
    "dispatcher": ["to_accept", "to_dispatch", "returned", "escalated", "extension_requested", "expiring", "overdue",
                   "supervised", "to_rate", "unsatisfied", "open"],
    "community_staff": ["to_accept", "to_dispatch", "returned", "escalated", "extension_requested", "expiring",
                        "overdue", "to_verify", "unsatisfied", "open"],
    "dept_handler": ["to_sign", "handling", "expiring", "overdue", "extension_requested", "returned", "supervised"],
    "grid_worker": ["to_verify", "mine_open", "mine", "open"],
    "grid_leader": ["to_verify", "mine_open", "overdue", "mine", "open"],
    "leader": ["open", "expiring", "overdue", "supervised"],
}
QUEUE_LABELS = {
    "to_accept": gettext_lazy("To accept"), "to_dispatch": gettext_lazy("To dispatch"),
    "returned": gettext_lazy("Returned"), "expiring": gettext_lazy("About to expire"),
    "overdue": gettext_lazy("Overdue"), "supervised": gettext_lazy("Under supervision"),
    "to_rate": gettext_lazy("To rate"), "open": gettext_lazy("All open"), "to_sign": gettext_lazy("To sign for"),
    "handling": gettext_lazy("Being handled"), "to_verify": gettext_lazy("To verify"),
    "mine": gettext_lazy("Reported by me"), "unsatisfied": gettext_lazy("Unsatisfied"),
    "mine_open": gettext_lazy("My open reports"), "escalated": gettext_lazy("Escalated to us"),
    "extension_requested": gettext_lazy("Extension requested"),
}
# A department's 已退回 are the cases it returned, waiting for a dispatcher (a dispatcher's: returned to them).
DEPARTMENT_LABELS = {"returned": gettext_lazy("Returned, awaiting a dispatcher")}


def queue_label(name: str, user) -> str:
    if getattr(user, "role", None) == Role.DEPT_HANDLER and name in DEPARTMENT_LABELS:
        return DEPARTMENT_LABELS[name]
    return QUEUE_LABELS[name]


def first_queue(user, counts: dict[str, int]) -> str:
    """The queue a workbench opens on: the role's first queue with cases in it (its first queue when all are empty)."""
    queues = ROLE_QUEUES.get(getattr(user, "role", ""), [])
    return next((name for name in queues if counts.get(name)), queues[0] if queues else "")


# Every queue but "mine" looks only at cases still in play: the history (rated, archived, rejected, cancelled),
# most of the table in a working district, is left out of the count by the status index.
LIVE = [s for s in Status.values if s not in (Status.REJECTED, Status.RATED, Status.ARCHIVED, Status.CANCELLED)]


def queue_counts(*, user) -> dict[str, int]:
    """Counts of the user's queues: one query of conditional aggregates over the live cases (plus one for 我上报的,
    which counts the history too); the same two queries however many cases there are."""
    from django.db.models import Count

    now = timezone.now()
    names = ROLE_QUEUES.get(getattr(user, "role", ""), [])
    conditions = {name: _queue(name, user, now) for name in names if name != "mine"}
    scoped = Event.objects.restrict(user)
    counts = scoped.filter(status__in=LIVE).aggregate(**{name: Count("pk", filter=cond)
                                                          for name, cond in conditions.items()}) if conditions else {}
    if "mine" in names:
        counts["mine"] = scoped.filter(_queue("mine", user, now)).count()
    return {name: counts[name] for name in names}


def access_event(user, event_id: int) -> Event:
    """One case the user may see, with its departments' parts (``event_parts``) read in the same go."""
    parts = Prefetch("assignments", queryset=Assignment.objects.select_related("department", "signed_by",
                                                                               "reported_by").order_by("-is_lead", "id"))
    event = (Event.objects.restrict(user).select_related("category", "grid", "lead_department", "duplicate_of")
             .prefetch_related(parts).filter(pk=event_id).first())
    if event is None:
        raise NotFound(_("No such case, or it is outside your area."))
    return event


def event_timeline(event: Event) -> list[Transition]:
    """The case's moves in order, each with ``actor_label`` — the person's full name and their department or role,
    e.g. "张伟（新安派出所）", or the system / the citizen — and ``move_label``, the move's name where the status
    stayed (a part reported, supervision …). One query, whatever the number of moves."""
    from gridgov.events.workflow import ACTIONS

    rows = list(event.transitions.select_related(*person_related("actor")))
    for t in rows:
        same = t.from_status == t.to_status and t.action in ACTIONS
        t.move_label = ACTIONS[t.action].label if same else ""
        if t.actor_id:
            t.actor_label = person_label(t.actor)
        elif t.action == "report":  # a report that no account made: say where it came from (citizen, 12345 …)
            t.actor_label = event.get_channel_display()
        else:
            t.actor_label = actor_label(t.actor_name)
    return rows


def event_parts(event: Event) -> list[Assignment]:
    """The departments holding the case now, lead first: each one's part (signed for, reported on, what it said)."""
    return sorted((a for a in event.assignments.all() if a.active), key=lambda a: (not a.is_lead, a.pk))


def event_result(event: Event) -> dict | None:
    """What was done, once verified (for the citizen before they rate): the lead department's report, the result
    photos and when it was verified. None while the case is not closed."""
    if event.closed_at is None:
        return None
    feedback = event.transitions.filter(action="feedback").order_by("-at", "-id").first()
    photos = list(event.photos.filter(kind=PhotoKind.AFTER).order_by("uploaded_at", "id"))
    return {"report": feedback.reason if feedback else "", "reported_at": feedback.at if feedback else None,
            "photos": photos, "verified_at": event.closed_at}


def is_overdue(event: Event, now=None) -> bool:
    return bool(event.deadline and event.status in RUNNING and event.deadline <= (now or timezone.now()))


def is_expiring(event: Event, now=None) -> bool:
    now = now or timezone.now()
    return bool(event.warn_at and event.status in RUNNING and event.warn_at <= now < event.deadline)


def category_tree() -> list[Category]:
    return list(Category.objects.filter(is_active=True).select_related("parent").order_by("sort_order", "code"))


def reports_between(start, end) -> list[tuple]:
    """(reporter id, reported at) of the cases reported by staff in [start, end) — the input of the month-end burst
    check (gridgov/fieldwork/detect.py); not scoped: the detector runs for everyone."""
    return list(Event.objects.filter(reported_at__gte=start, reported_at__lt=end).exclude(reporter=None)
                .values_list("reporter_id", "reported_at"))
