"""The working-time calendar behind event deadlines (时限): working days, working hours and office hours.

A day is a working day when, in this order,

1. an administrator entered a :class:`~gridgov.common.models.CalendarDay` for it (holiday or swapped workday 调休);
2. otherwise the bundled ``chinese_calendar`` data knows its year (public holidays and 调休 as published yearly by
   the State Council);
3. otherwise it is Monday to Friday — and deadlines that counted such a day are flagged ``estimated``, unless an
   administrator marked the year as published (:class:`~gridgov.common.models.CalendarYear`).

Everything is computed in local time (``settings.TIME_ZONE``, Asia/Shanghai, which has no daylight saving time);
callers pass and get timezone-aware datetimes. Office hours come from ``settings.GRIDGOV_OFFICE_HOURS``.

Performance: this runs on the event-intake hot path. Each year's calendar is built once per process (one query for
its CalendarDay rows, one for its CalendarYear row) and kept in memory; saving or deleting a CalendarDay or
CalendarYear clears it after the commit (signals wired in ``CommonConfig.ready``). Other processes pick the change up
after at most :data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import re
import threading
import time as _time
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from math import isfinite

from chinese_calendar import constants as _cc
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.common.api_types import FIRST_DAY, LAST_DAY
from gridgov.common.errors import ValidationFailed

__all__ = [
    "CACHE_SECONDS", "Deadline", "TimeUnit", "clear_cache", "deadline_after", "is_workday", "office_hours",
    "working_hours_between", "year_is_known",
]

#: How long another process may keep a year's calendar after an administrator changed it elsewhere.
CACHE_SECONDS = 300

# Years published in the bundled chinese_calendar data (1.11: 2004–2026); outside them it raises NotImplementedError.
LIBRARY_YEARS: frozenset[int] = frozenset(d.year for d in _cc.holidays) | frozenset(d.year for d in _cc.workdays)

_MICROS_PER_SECOND = 1_000_000
_MICROS_PER_HOUR = 3600 * _MICROS_PER_SECOND
_MICROS_PER_DAY = 24 * _MICROS_PER_HOUR
# A run of this many days without a single working day means the calendar data is broken, not a long holiday.
_MAX_DAYS_WITHOUT_WORK = 366


class TimeUnit(models.TextChoices):
    """The unit of an event time limit."""

    WORKDAY = "workday", _("working days")
    WORKHOUR = "workhour", _("working hours")


@dataclass(frozen=True)
class Deadline:
    """When a time limit runs out.

    ``due`` is timezone-aware. ``estimated`` is True when a day that was counted lies in a year whose holiday schedule
    is not known (neither in ``chinese_calendar`` nor marked published by an administrator): Monday to Friday was
    assumed there, so the UI should flag the deadline.
    """

    due: datetime
    estimated: bool


# --- office hours -------------------------------------------------------------------------------------------------

_PERIOD = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")


@dataclass(frozen=True)
class _Office:
    periods: tuple[tuple[int, int], ...]  # (opening, closing) as microseconds after midnight, ascending
    closing: int  # close of the last period
    day_total: int  # office microseconds in one working day


@lru_cache(maxsize=8)
def _parse_office_hours(raw: str) -> _Office:
    """Parse ``"09:00-12:00,13:30-17:30"`` strictly: HH:MM-HH:MM periods, ascending, not overlapping, within a day."""

    def bad(why: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(
            f"GRIDGOV_OFFICE_HOURS={raw!r}: {why}; expected comma-separated HH:MM-HH:MM periods in ascending order, "
            f'e.g. "09:00-12:00,13:30-17:30"'
        )

    if not isinstance(raw, str) or not raw.strip():
        raise bad("no office hours")
    periods: list[tuple[int, int]] = []
    for part in (p.strip() for p in raw.split(",")):
        match = _PERIOD.fullmatch(part)
        if not match:
            raise bad(f"{part!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise bad(f"{part!r} is not a valid time of day")
        opening, closing = (h1 * 60 + m1) * 60 * _MICROS_PER_SECOND, (h2 * 60 + m2) * 60 * _MICROS_PER_SECOND
        if closing <= opening:
            raise bad(f"{part!r} does not end after it starts")
        if periods and opening < periods[-1][1]:
            raise bad(f"{part!r} overlaps or precedes the period before it")
        periods.append((opening, closing))
    return _Office(tuple(periods), periods[-1][1], sum(b - a for a, b in periods))


def _office() -> _Office:
    return _parse_office_hours(settings.GRIDGOV_OFFICE_HOURS)


def office_hours() -> tuple[tuple[time, time], ...]:
    """The office periods of a working day, parsed from ``settings.GRIDGOV_OFFICE_HOURS`` (cached per value).

    Raises ImproperlyConfigured when the setting is malformed. A closing time of 24:00 is returned as ``time.max``.
    """
    return tuple((_micros_to_time(a), _micros_to_time(b)) for a, b in _office().periods)


def _micros_to_time(micros: int) -> time:
    if micros >= _MICROS_PER_DAY:
        return time.max
    seconds, us = divmod(micros, _MICROS_PER_SECOND)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60, us)


# --- per-year calendar cache --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Year:
    first_ordinal: int  # date(year, 1, 1).toordinal()
    workdays: bytes  # one byte per day of the year: 1 = working day
    known: bool
    loaded_at: float


_years: dict[int, _Year] = {}
_lock = threading.Lock()
_generation = 0  # bumped by clear_cache(), so a load that raced with a change is not kept


def clear_cache() -> None:
    """Forget every cached year (the next call reloads from the database). Called after a calendar change commits;
    tests whose transactions are rolled back should call it too."""
    global _generation
    with _lock:
        _generation += 1
        _years.clear()


def _load_year(year: int) -> _Year:
    from gridgov.common.models import CalendarDay, CalendarYear

    generation = _generation
    first = date(year, 1, 1)
    overrides = dict(
        CalendarDay.objects.filter(date__gte=first, date__lte=date(year, 12, 31)).values_list("date", "kind")
    )
    published = CalendarYear.objects.filter(year=year, published=True).exists()
    in_library = year in LIBRARY_YEARS
    flags = bytearray()
    day, one = first, timedelta(days=1)
    while day.year == year:
        kind = overrides.get(day)
        if kind is not None:
            working = kind == CalendarDay.Kind.WORKDAY
        elif in_library:
            working = day in _cc.workdays or (day.weekday() < 5 and day not in _cc.holidays)
        else:
            working = day.weekday() < 5
        flags.append(working)
        day += one
    entry = _Year(first.toordinal(), bytes(flags), in_library or published, _time.monotonic())
    with _lock:
        if generation == _generation:
            _years[year] = entry
    return entry


def _year(year: int) -> _Year:
    entry = _years.get(year)
    if entry is None or _time.monotonic() - entry.loaded_at > CACHE_SECONDS:
        entry = _load_year(year)
    return entry


def is_workday(day: date) -> bool:
    """Whether ``day`` is a working day: an administrator's CalendarDay wins, then ``chinese_calendar`` for the years
    it covers, then Monday to Friday."""
    entry = _year(day.year)
    return entry.workdays[day.toordinal() - entry.first_ordinal] == 1


def year_is_known(year: int) -> bool:
    """Whether the holiday schedule of ``year`` is known: covered by ``chinese_calendar`` or marked published by an
    administrator (CalendarYear.published)."""
    return _year(year).known


# --- deadlines ----------------------------------------------------------------------------------------------------


def _local(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(timezone.get_default_timezone())


def _micros_of_day(moment: datetime) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * _MICROS_PER_SECOND + moment.microsecond


def _at(ordinal: int, micros: int) -> datetime:
    """The aware local datetime ``micros`` after midnight of the day ``ordinal``."""
    naive = datetime.fromordinal(ordinal) + timedelta(microseconds=micros)
    return naive.replace(tzinfo=timezone.get_default_timezone())


def _is_workday_ordinal(ordinal: int) -> bool:
    entry = _years.get(date.fromordinal(ordinal).year)
    if entry is not None:
        index = ordinal - entry.first_ordinal
        if 0 <= index < len(entry.workdays) and _time.monotonic() - entry.loaded_at <= CACHE_SECONDS:
            return entry.workdays[index] == 1
    return is_workday(date.fromordinal(ordinal))


def _estimated(first_ordinal: int, last_ordinal: int) -> bool:
    first, last = date.fromordinal(first_ordinal).year, date.fromordinal(last_ordinal).year
    return any(not year_is_known(year) for year in range(first, last + 1))


def _check_amount(amount: int | Decimal | float, unit: str) -> int:
    """Validate ``amount`` and return it in whole days (WORKDAY) or microseconds (WORKHOUR)."""
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal | float):
        raise TypeError(f"amount must be an int or a Decimal, not {type(amount).__name__}")
    if (isinstance(amount, Decimal) and not amount.is_finite()) or (isinstance(amount, float) and not isfinite(amount)):
        raise ValueError(f"amount must be a finite number, not {amount!r}")
    if not amount > 0:
        raise ValueError(f"amount must be greater than 0, not {amount!r}")
    if unit == TimeUnit.WORKDAY:
        if amount != int(amount):
            raise ValueError(f"a time limit in working days must be a whole number, not {amount!r}")
        return int(amount)
    if unit == TimeUnit.WORKHOUR:
        micros = round(Decimal(str(amount)) * _MICROS_PER_HOUR) if isinstance(amount, float) else \
            round(amount * _MICROS_PER_HOUR)
        if micros <= 0:
            raise ValueError(f"amount {amount!r} is below one microsecond")
        return int(micros)
    raise ValueError(f"unit must be one of {TimeUnit.values}, not {unit!r}")


def deadline_after(start: datetime, amount: int | Decimal | float, unit: str) -> Deadline:
    """When a time limit of ``amount`` ``unit`` (a :class:`TimeUnit`) that starts at ``start`` runs out.

    * ``workday``: the close of office hours on the ``amount``-th working day after the start's (local) day — the
      start's day itself never counts. Friday 10:00 + 1 working day is Monday's closing time (Tuesday's if Monday is
      a holiday). Whole numbers only.
    * ``workhour``: only office-hour time counts, from ``start`` (or from the next opening when ``start`` is outside
      office hours); due at the moment the ``amount``-th hour is used up. Fractions are allowed (``Decimal("0.5")``).

    ``start`` must be timezone-aware; the result is aware in ``settings.TIME_ZONE``. Raises ValueError for an
    ``amount`` that is not greater than 0 or an unknown ``unit``.
    """
    remaining = _check_amount(amount, unit)
    local = _local(start, "start")
    office = _office()
    ordinal = local.toordinal()
    idle = 0
    if unit == TimeUnit.WORKDAY:
        first = ordinal + 1
        while remaining:
            ordinal += 1
            if _is_workday_ordinal(ordinal):
                remaining -= 1
                idle = 0
            else:
                idle = _idle(idle, start)
        return Deadline(_at(ordinal, office.closing), _estimated(first, ordinal))

    first, now = ordinal, _micros_of_day(local)
    while True:
        if _is_workday_ordinal(ordinal):
            idle = 0
            if now == 0 and remaining > office.day_total:  # a whole working day is used up
                remaining -= office.day_total
            else:
                for opening, closing in office.periods:
                    if now < closing:
                        begin = max(now, opening)
                        if remaining <= closing - begin:
                            return Deadline(_at(ordinal, begin + remaining), _estimated(first, ordinal))
                        remaining -= closing - begin
        else:
            idle = _idle(idle, start)
        ordinal += 1
        now = 0


def _idle(idle: int, start: datetime) -> int:
    if idle >= _MAX_DAYS_WITHOUT_WORK:
        raise RuntimeError(f"no working day in the {_MAX_DAYS_WITHOUT_WORK} days after {start}: check the calendar")
    return idle + 1


def working_hours_between(start: datetime, end: datetime) -> float:
    """Office hours (on working days) elapsed between two aware instants; 0.0 when ``end`` is not after ``start``."""
    local_start, local_end = _local(start, "start"), _local(end, "end")
    if local_end <= local_start:
        return 0.0
    office = _office()
    first, last = local_start.toordinal(), local_end.toordinal()
    total = 0
    for ordinal in range(first, last + 1):
        if not _is_workday_ordinal(ordinal):
            continue
        lower = _micros_of_day(local_start) if ordinal == first else 0
        upper = _micros_of_day(local_end) if ordinal == last else _MICROS_PER_DAY
        if lower == 0 and upper == _MICROS_PER_DAY:
            total += office.day_total
            continue
        for opening, closing in office.periods:
            overlap = min(upper, closing) - max(lower, opening)
            if overlap > 0:
                total += overlap
    return total / _MICROS_PER_HOUR


# -- moments a person reports ------------------------------------------------------------------------------------------
CLOCK_SKEW = timedelta(minutes=5)  # phones' and other systems' clocks drift a little


def past_moment(value: datetime, field: str, *, now: datetime | None = None, message=None) -> datetime:
    """A reported moment (when something happened, was visited, was said): timezone-aware (a naive one is local
    time), not later than now (give or take ``CLOCK_SKEW``) and not before 1900. Anything else raises
    ``ValidationFailed`` on ``field`` — a year-9999 case would otherwise overflow the arithmetic done with it (and
    is no report of something that happened)."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > (now or timezone.now()) + CLOCK_SKEW:
        raise ValidationFailed(message or _("The time lies in the future."), field=field)
    if value.date() < FIRST_DAY:
        raise ValidationFailed(_("Dates must lie between %(first)s and %(last)s.")
                               % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}, field=field)
    return value


def parse_moment(raw: str) -> datetime | None:
    """An ISO 8601 date and time (or a bare date, read as its midnight) as an aware datetime, or None when ``raw`` is
    not one. A "+" in the offset that arrived unescaped in a query string (a space) is read as the "+" it was."""
    from django.utils import timezone
    from django.utils.dateparse import parse_date, parse_datetime

    raw = re.sub(r" (\d{2}:?\d{2})$", r"+\1", raw)
    try:
        when = parse_datetime(raw)
        if when is None and (day := parse_date(raw)) is not None:
            when = datetime.combine(day, time.min)
    except ValueError:
        return None
    if when is None:
        return None
    return timezone.make_aware(when) if timezone.is_naive(when) else when
