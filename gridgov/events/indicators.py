"""The standard indicators (考核指标) per region, department or worker over a period — reads only.

Everything is counted in the database: one grouped aggregate over events and one over transitions, whatever the
number of cases (plus a few small look-ups: the region, its children, the names of the groups). Python adds up and
divides the per-group rows, and sums the working hours of the cases handled in the period from one more query that
reads only their (group, dispatched_at, handled_at): the calendar is in memory and takes microseconds a case.
Every read goes through ``Event.objects.restrict(user)``.

The period is ``date_from``–``date_to``, local dates (Asia/Shanghai), both inclusive: ``start`` = ``date_from``
00:00, ``end`` = the day after ``date_to`` 00:00 (exclusive). ``as_of`` = the earlier of ``end`` and now: deadlines
that have not come yet are not "due" yet. The definitions (docs/indicators.md says the same in Chinese):

Intake — the cases *reported* in the period (``start <= reported_at < end``):

* 上报数 ``reported``: all of them, from every channel, rejected ones and duplicates included.
* 受理数 ``accepted``: those accepted — taken in by a dispatcher (accept), dispatched automatically at intake
  (auto_dispatch) or solved on the spot (self_resolve); a transition of one of these kinds exists. Rejected cases
  (invalid, duplicates) and cases cancelled before acceptance are not accepted.
* 立案数 ``registered``: those registered — by a dispatcher (register) or automatically at intake (auto_dispatch:
  自动立案派遣). Cases solved on the spot are not registered (they are counted by 自行处置数).
  立案率 ``registration_rate`` = 立案数 / 受理数.
* 派遣数 ``dispatched``: those dispatched to a department at least once (by hand or automatically).
  准确派遣数 ``accurately_dispatched``: of these, the ones never returned by a department as misrouted.
  准确派遣率 ``accurate_dispatch_rate`` = 准确派遣数 / 派遣数.
* 自行处置数 ``self_resolved``: those solved on the spot by the reporter (自办自结).
* 重复案件数 ``duplicates``: those found to duplicate another case (linked at intake or rejected as a duplicate).
  重复案件率 ``duplicate_rate`` = 重复案件数 / 上报数.

Handling — the cases *handled* in the period (``start <= handled_at < end``):

* 处置数 ``handled``: dispatched cases whose department reported the result (feedback) in the period and which are
  handled now (awaiting verification, closed, rated — unsatisfied too — or archived). ``handled_at`` is the latest
  feedback: a case sent back for rework counts again only once handled again. Cases solved on the spot are not included.
  按期处置数 ``handled_on_time``: of these, handled no later than the deadline (extensions included).
  按期处置率 ``on_time_handling_rate`` = 按期处置数 / 处置数.
* 平均处置时长 ``avg_handling_hours``: the mean over 处置数 of the *working hours* from ``dispatched_at`` to
  ``handled_at`` (``gridgov.common.calendar.working_hours_between``: office hours on working days, so nights,
  weekends and holidays do not count), from the latest dispatch (time spent before a return does not count).

Deadlines — every dispatched case has a deadline; cancelled cases are left out:

* 超期数 ``overdue``: cases whose deadline falls in ``[start, as_of)`` and that were not handled by it — still open
  (dispatched, being handled, returned) or handled after the deadline. Each case counts in the period of its
  deadline only.
* 应结案数 ``due``: cases whose *due moment* falls in ``[start, as_of)``: the deadline, or the closing time for
  cases closed before their deadline (提前结案). So 应结案 = cases due in the period plus those closed early in it;
  each case is due in exactly one period.
  结案数 ``closed``: of these, the ones closed (verified) before ``as_of``, i.e. by the end of the period.
  按期结案数 ``closed_on_time``: of these, the ones closed no later than the deadline.
  结案率 ``closure_rate`` = 结案数 / 应结案数; 按期结案率 ``on_time_closure_rate`` = 按期结案数 / 应结案数.

Steps in the period — counted by the time of the step (``start <= at < end``):

* 返工数 ``rework``: times a case was sent back for rework after a failed verification, or reopened for rework
  after an unsatisfied rating (reopen).
* 评价数 ``rated``, 满意数 ``satisfied``: satisfaction recorded (rate); satisfied = 满意 or 基本满意, as that rating
  said (a case reopened after 不满意 and rated again counts each rating once).
  满意率 ``satisfaction_rate`` = 满意数 / 评价数.

A rate whose denominator is 0 is ``None`` (null in JSON, an empty cell in Excel), never an error. Rates are
fractions (0.9372 = 93.72 %), rounded to four places; hours to two.

Groups: ``region`` — the children of a region (the streets of the district, the communities of a street, the grids
of a community, the micro-grids of a grid), a case belongs to the child whose tree path its own path starts with;
``department`` — the lead department (牵头部门) the case is with now; ``worker`` — the account that reported it.
Cases in none of the groups (no lead department, no reporting account, outside the regions listed) make one last
row with ``key`` null, shown when it has anything to count. ``total`` covers all the cases counted, so the rows add
up to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from gridgov.accounts.models import Department, User
from gridgov.common.calendar import working_hours_between
from gridgov.common.errors import NotFound, PermissionDenied, ValidationFailed
from gridgov.common.roles import Role
from gridgov.common.scoping import below, in_territory, territory
from gridgov.events.choices import RejectReason, Satisfaction, Status
from gridgov.events.models import CASE_ROLES, Event, Transition
from gridgov.regions.choices import RegionStatus
from gridgov.regions.models import Region

GROUPS = ("region", "department", "worker")
ACCEPTING_ACTIONS = ("accept", "auto_dispatch", "self_resolve")
REGISTERING_ACTIONS = ("register", "auto_dispatch")
REWORK_ACTIONS = ("rework", "reopen")  # sent back after a failed verification, or reopened after 不满意
HANDLED_STATES = (Status.HANDLED, Status.CLOSED, Status.RATED, Status.UNSATISFIED, Status.ARCHIVED)
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASIC)
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)


@dataclass(frozen=True)
class Column:
    field: str
    label: object  # lazy translation
    kind: str  # "count", "rate" (a fraction, shown as %) or "hours"


# The indicators in the order the table and the Excel file show them.
COLUMNS = [
    Column("reported", pgettext_lazy("indicator", "Reported"), "count"),
    Column("accepted", pgettext_lazy("indicator", "Accepted"), "count"),
    Column("registered", pgettext_lazy("indicator", "Registered"), "count"),
    Column("registration_rate", pgettext_lazy("indicator", "Registration rate"), "rate"),
    Column("dispatched", pgettext_lazy("indicator", "Dispatched"), "count"),
    Column("accurately_dispatched", pgettext_lazy("indicator", "Accurately dispatched"), "count"),
    Column("accurate_dispatch_rate", pgettext_lazy("indicator", "Accurate dispatch rate"), "rate"),
    Column("handled", pgettext_lazy("indicator", "Handled"), "count"),
    Column("handled_on_time", pgettext_lazy("indicator", "Handled on time"), "count"),
    Column("on_time_handling_rate", pgettext_lazy("indicator", "On-time handling rate"), "rate"),
    Column("overdue", pgettext_lazy("indicator", "Overdue"), "count"),
    Column("due", pgettext_lazy("indicator", "Due to close"), "count"),
    Column("closed", pgettext_lazy("indicator", "Closed"), "count"),
    Column("closure_rate", pgettext_lazy("indicator", "Closure rate"), "rate"),
    Column("closed_on_time", pgettext_lazy("indicator", "Closed on time"), "count"),
    Column("on_time_closure_rate", pgettext_lazy("indicator", "On-time closure rate"), "rate"),
    Column("rework", pgettext_lazy("indicator", "Rework"), "count"),
    Column("self_resolved", pgettext_lazy("indicator", "Solved on the spot"), "count"),
    Column("avg_handling_hours", pgettext_lazy("indicator", "Average handling time (hours)"), "hours"),
    Column("duplicates", pgettext_lazy("indicator", "Duplicates"), "count"),
    Column("duplicate_rate", pgettext_lazy("indicator", "Duplicate rate"), "rate"),
    Column("rated", pgettext_lazy("indicator", "Rated"), "count"),
    Column("satisfied", pgettext_lazy("indicator", "Satisfied"), "count"),
    Column("satisfaction_rate", pgettext_lazy("indicator", "Satisfaction rate"), "rate"),
]
GROUP_LABELS = {
    "region": pgettext_lazy("indicator", "by region"),
    "department": pgettext_lazy("indicator", "by department"),
    "worker": pgettext_lazy("indicator", "by reporter"),
}
# Counts produced by the two aggregate queries; the rates are derived from them, the average from handling_hours.
EVENT_COUNTS = ("reported", "accepted", "registered", "dispatched", "accurately_dispatched", "self_resolved",
                "duplicates", "handled", "handled_on_time", "overdue", "due", "closed", "closed_on_time")
STEP_COUNTS = ("rework", "rated", "satisfied")
RATES = {
    "registration_rate": ("registered", "accepted"),
    "accurate_dispatch_rate": ("accurately_dispatched", "dispatched"),
    "on_time_handling_rate": ("handled_on_time", "handled"),
    "closure_rate": ("closed", "due"),
    "on_time_closure_rate": ("closed_on_time", "due"),
    "duplicate_rate": ("duplicates", "reported"),
    "satisfaction_rate": ("satisfied", "rated"),
}


@dataclass(frozen=True)
class Period:
    date_from: dt.date
    date_to: dt.date
    start: dt.datetime  # date_from 00:00 local
    end: dt.datetime  # the day after date_to 00:00 local (exclusive)
    as_of: dt.datetime  # min(end, now): deadlines up to here are due

    def as_dict(self) -> dict:
        return {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(),
                "start": self.start.isoformat(), "end": self.end.isoformat(), "as_of": self.as_of.isoformat()}


def make_period(date_from: dt.date | None, date_to: dt.date | None, now: dt.datetime | None = None) -> Period:
    """Local dates, both inclusive; the current month (1st to last day) when neither is given."""
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    today = timezone.localtime(now, tz).date()
    month_start = today.replace(day=1)
    month_end = (month_start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    if date_from is None and date_to is None:
        date_from, date_to = month_start, month_end
    elif date_from is None:
        date_from = date_to.replace(day=1)
    elif date_to is None:
        date_to = max(date_from, today)
    for field, value in (("date_from", date_from), ("date_to", date_to)):
        if not EARLIEST <= value <= LATEST:
            raise ValidationFailed(_("Dates must lie between %(first)s and %(last)s.")
                                   % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()}, field=field)
    if date_to < date_from:
        raise ValidationFailed(_("The end date must not be before the start date."), field="date_to")
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return Period(date_from, date_to, start, end, min(end, now))


def require_case_access(user) -> None:
    """The three administrators (and anyone without a case role) see no cases, hence no indicators."""
    if not (user.role in CASE_ROLES or (user.role == Role.DEPT_HANDLER and user.department_id)):
        raise PermissionDenied(_("Your role does not work with cases, so it has no case indicators."))


# --- grouping ------------------------------------------------------------------------------------------------------
@dataclass
class Grouping:
    kind: str
    region: Region | None  # the region asked for (or the one the user's scope starts at)
    row_regions: list[Region]  # region grouping: one row each, in order
    filter_region: Region | None  # limits the cases to this subtree (only when asked for explicitly)

    def key(self, prefix: str = ""):
        """The group of a case, as an expression; ``prefix`` is "event__" when reading transitions."""
        if self.kind == "department":
            return F(f"{prefix}lead_department_id")
        if self.kind == "worker":
            return F(f"{prefix}reporter_id")
        if not self.row_regions:
            return Value(None, output_field=CharField())
        return Case(*[When(below(f"{prefix}region_path", r.path), then=Value(r.code))
                      for r in self.row_regions], default=Value(None), output_field=CharField())


REGION_FIELDS = ("id", "code", "name", "level", "path", "status", "parent_id")  # never the geometry


def _with_children(**lookup) -> tuple[Region | None, list[Region]]:
    """One region (found by ``lookup``) and its children, in one query; a leaf is its own only row."""
    around = Q(**lookup) | Q(**{f"parent__{k}": v for k, v in lookup.items()})
    found = list(Region.objects.filter(around).only(*REGION_FIELDS).order_by("code"))
    region = next((r for r in found if all(getattr(r, k) == v for k, v in lookup.items())), None)
    if region is None:
        return None, []
    children = [r for r in found if r.parent_id == region.pk]
    return region, children or [region]


def _grouping(user, kind: str, region_code: str | None) -> Grouping:
    if region_code:
        region, children = _with_children(code=region_code)
        if region is None or not in_territory(user, region.path):
            raise NotFound(_("No such region, or it is outside your area."), field="region")
        return Grouping(kind, region, children if kind == "region" else [], region)
    if kind != "region":
        return Grouping(kind, None, [], None)
    where = territory(user)
    if where.everything:  # the whole territory: its root
        root = (Region.objects.filter(parent__isnull=True).current().order_by("code")
                .values_list("path", flat=True).first())
        roots = [root] if root else []
    else:
        roots = list(where.paths)  # the outermost paths already
    if len(roots) == 1:
        region, children = _with_children(path=roots[0])
        return Grouping(kind, region, children, None)
    # Several separate areas (a worker serving several grids …): one row for each.
    return Grouping(kind, None, list(Region.objects.filter(path__in=roots).only(*REGION_FIELDS).order_by("path")),
                    None)


# --- the two aggregate queries and the handling times --------------------------------------------------------------
def _handled(p: Period) -> Q:
    return Q(handled_at__gte=p.start, handled_at__lt=p.end, dispatched_at__isnull=False, status__in=HANDLED_STATES)


def _event_aggregates(p: Period) -> dict:
    s, e, c = p.start, p.end, p.as_of
    reported = Q(reported_at__gte=s, reported_at__lt=e)
    accepted = Q(Exists(Transition.objects.filter(event=OuterRef("pk"), action__in=ACCEPTING_ACTIONS)))
    registered = Q(Exists(Transition.objects.filter(event=OuterRef("pk"), action__in=REGISTERING_ACTIONS)))
    dispatched = reported & Q(dispatched_at__isnull=False)
    duplicate = Q(duplicate_of__isnull=False) | Q(reject_reason=RejectReason.DUPLICATE)
    handled = _handled(p)
    live = ~Q(status=Status.CANCELLED) & Q(deadline__isnull=False)
    overdue = live & Q(deadline__gte=s, deadline__lt=c) & (
        Q(handled_at__isnull=True) | ~Q(status__in=HANDLED_STATES) | Q(handled_at__gt=F("deadline")))
    due = live & (
        (Q(deadline__gte=s, deadline__lt=c) & (Q(closed_at__isnull=True) | Q(closed_at__gte=F("deadline"))))
        | (Q(closed_at__gte=s, closed_at__lt=c) & Q(closed_at__lt=F("deadline"))))
    return {
        "reported": Count("pk", filter=reported),
        "accepted": Count("pk", filter=reported & accepted),
        "registered": Count("pk", filter=reported & registered),
        "dispatched": Count("pk", filter=dispatched),
        "accurately_dispatched": Count("pk", filter=dispatched & Q(return_count=0)),
        "self_resolved": Count("pk", filter=reported & Q(self_resolved=True)),
        "duplicates": Count("pk", filter=reported & duplicate),
        "handled": Count("pk", filter=handled),
        "handled_on_time": Count("pk", filter=handled & Q(deadline__isnull=False, handled_at__lte=F("deadline"))),
        "overdue": Count("pk", filter=overdue),
        "due": Count("pk", filter=due),
        "closed": Count("pk", filter=due & Q(closed_at__isnull=False, closed_at__lt=c)),
        "closed_on_time": Count("pk", filter=due & Q(closed_at__isnull=False, closed_at__lte=F("deadline"))),
    }


def _touches_period(p: Period) -> Q:
    """Every case any indicator counts satisfies this (it only narrows the scan)."""
    return (Q(reported_at__gte=p.start, reported_at__lt=p.end) | Q(handled_at__gte=p.start, handled_at__lt=p.end)
            | Q(deadline__gte=p.start, deadline__lt=p.as_of) | Q(closed_at__gte=p.start, closed_at__lt=p.as_of))


def _grouped_counts(events, grouping: Grouping, p: Period) -> dict:
    per_key: dict = {}
    rows = (events.filter(_touches_period(p)).order_by().values(group_key=grouping.key())
            .annotate(**_event_aggregates(p)))
    for row in rows:
        per_key[row.pop("group_key")] = row
    steps = (Transition.objects.filter(event__in=events.values("pk"), at__gte=p.start, at__lt=p.end,
                                       action__in=(*REWORK_ACTIONS, "rate"))
             .order_by().values(group_key=grouping.key("event__"))
             .annotate(rework=Count("pk", filter=Q(action__in=REWORK_ACTIONS)),
                       rated=Count("pk", filter=Q(action="rate")),
                       satisfied=Count("pk", filter=Q(action="rate", data__satisfaction__in=SATISFIED))))
    for row in steps:
        per_key.setdefault(row.pop("group_key"), {}).update(row)
    hours: dict = {}
    pairs = (events.filter(_handled(p)).order_by().values_list(grouping.key(), "dispatched_at", "handled_at")
             .iterator(chunk_size=10_000))
    for key, dispatched_at, handled_at in pairs:
        hours[key] = hours.get(key, 0.0) + working_hours_between(dispatched_at, handled_at)
    for key, total in hours.items():
        per_key.setdefault(key, {})["handling_hours"] = total
    return per_key


# --- rows ----------------------------------------------------------------------------------------------------------
def _blank() -> dict:
    return {**{name: 0 for name in EVENT_COUNTS + STEP_COUNTS}, "handling_hours": 0.0}


def _fill(counts: dict | None) -> dict:
    values = _blank()
    for name, value in (counts or {}).items():
        if value is not None:
            values[name] = value
    return values


def _rate(numerator: int, denominator: int) -> float | None:
    return None if not denominator else round(numerator / denominator, 4)


def _finish(key, name, values: dict) -> dict:
    """One output row: the counts, the rates and the average, in COLUMNS order after key and name."""
    derived = {rate: _rate(values[num], values[den]) for rate, (num, den) in RATES.items()}
    handled = values["handled"]
    derived["avg_handling_hours"] = round(values["handling_hours"] / handled, 2) if handled else None
    merged = {**values, **derived}
    return {"key": key, "name": name, **{c.field: merged[c.field] for c in COLUMNS}}


def _has_data(values: dict) -> bool:
    return any(values[n] for n in EVENT_COUNTS + STEP_COUNTS)


def _rows(grouping: Grouping, per_key: dict) -> list[tuple]:
    """(key, name, values) for each row, in display order, the catch-all row last."""
    out = []
    if grouping.kind == "region":
        for region in grouping.row_regions:
            values = _fill(per_key.get(region.code))
            if region.status == RegionStatus.RETIRED and not _has_data(values):
                continue  # history: show a retired region only when something is counted there
            out.append((region.code, region.name, values))
        rest = _("Other (outside the regions above)")
    elif grouping.kind == "department":
        names = {pk: (code, name) for pk, code, name in
                 Department.objects.filter(pk__in=[k for k in per_key if k is not None])
                 .values_list("pk", "code", "name")}
        for pk in sorted(names, key=lambda k: names[k][0]):
            out.append((names[pk][0], names[pk][1], _fill(per_key[pk])))
        out = [row for row in out if _has_data(row[2])]
        rest = _("No lead department (not dispatched, or returned)")
    else:
        people = {pk: (username, full_name or username) for pk, username, full_name in
                  User.objects.filter(pk__in=[k for k in per_key if k is not None])
                  .values_list("pk", "username", "full_name")}
        for pk in sorted(people, key=lambda k: people[k][0]):
            out.append((people[pk][0], people[pk][1], _fill(per_key[pk])))
        out = [row for row in out if _has_data(row[2])]
        rest = _("No reporting account (citizens, hotline …)")
    leftover = _fill(per_key.get(None))
    if _has_data(leftover):
        out.append((None, rest, leftover))
    return out


def _sum(rows: list[tuple]) -> dict:
    total = _blank()
    for _key, _name, values in rows:
        for name in total:
            total[name] += values[name]
    return total


def indicator_report(*, user, group: str = "region", region: str | None = None, date_from: dt.date | None = None,
                     date_to: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The indicators of the cases ``user`` may see, per group, with a total row (definitions: module docstring).

    Raises PermissionDenied (roles without cases), ValidationFailed (group, dates) and NotFound (region).
    """
    require_case_access(user)
    if group not in GROUPS:
        raise ValidationFailed(_("Unknown grouping %(group)s: choose region, department or worker.")
                               % {"group": group}, field="group")
    period = make_period(date_from, date_to, now)
    grouping = _grouping(user, group, region)
    events = Event.objects.restrict(user)
    if grouping.filter_region is not None:
        events = events.filter(below("region_path", grouping.filter_region.path))
    rows = _rows(grouping, _grouped_counts(events, grouping, period))
    total = _finish(None, _("Total"), _sum(rows))
    scope = grouping.region
    return {
        "period": period.as_dict(),
        "group": group,
        "group_label": str(GROUP_LABELS[group]),
        "region": ({"code": scope.code, "name": scope.name, "level": scope.level} if scope is not None else None),
        "scope_name": (scope.name if scope is not None else "、".join(r.name for r in grouping.row_regions)
                       or _("all the cases you may see")),
        "columns": [{"field": c.field, "label": str(c.label), "kind": c.kind} for c in COLUMNS],
        "rows": [_finish(key, name, values) for key, name, values in rows],
        "total": total,
    }
