"""Schedules: 日巡查 (urban share of days / rural every working day), 月排查 on the 1st and 15th (moved to the next
working day), 季度联查 once a quarter; who missed what, scoped."""

import datetime as dt
import math

import pytest
from django.conf import settings

from gridgov.common.calendar import is_workday
from gridgov.fieldwork.models import PatrolDay, PatrolSchedule, PatrolSession
from gridgov.fieldwork.selectors import schedule_misses
from gridgov.fieldwork.tests.conftest import local

pytestmark = pytest.mark.django_db
JAN = (2026, 1)
DAYS = [dt.date(2026, 1, d) for d in range(1, 32)]
TODAY = dt.date(2026, 4, 10)


def _patrolled(worker, days):
    PatrolDay.objects.bulk_create([PatrolDay(worker=worker, day=d, points=100, distance_m=2000,
                                             moving_seconds=3600, inside_seconds=3600, is_patrol_day=True)
                                   for d in days])


def _row(rows, worker, kind):
    return next(r for r in rows if r.worker.pk == worker.pk and r.schedule.kind == kind)


def test_the_three_schedules_are_seeded():
    assert {s.kind: s.name for s in PatrolSchedule.objects.all()} == {"daily": "日巡查", "monthly": "月排查",
                                                                      "quarterly": "季度联查"}
    assert PatrolSchedule.objects.get(kind="monthly").days_of_month == [1, 15]


def test_an_urban_worker_needs_the_configured_share_of_days(user):
    worker = user("worker_a")
    assert worker.grids.get().area_type == "urban"
    need = math.ceil(settings.GRIDGOV_PATROL_URBAN_DAY_PERCENT / 100 * 31)
    _patrolled(worker, DAYS[:need - 1])
    row = _row(schedule_misses(user=user("street_dispatcher"), month=JAN, today=TODAY), worker, "daily")
    assert (row.required, row.done, row.compliant) == (need, need - 1, False)
    _patrolled(worker, [DAYS[need - 1]])
    row = _row(schedule_misses(user=user("street_dispatcher"), month=JAN, today=TODAY), worker, "daily")
    assert (row.done, row.compliant) == (need, True)


def test_a_rural_worker_needs_every_working_day(user):
    from gridgov.accounts.models import User

    rural = User.objects.filter(role="grid_worker", grids__area_type="rural").order_by("username").first()
    workdays = [d for d in DAYS if is_workday(d)]
    _patrolled(rural, [d for d in workdays if d != workdays[3]])
    row = _row(schedule_misses(user=user("dispatcher"), month=JAN, today=TODAY), rural, "daily")
    assert row.area_type == "rural" and row.required == len(workdays)
    assert row.missed == [workdays[3]] and not row.compliant
    _patrolled(rural, [workdays[3]])
    assert _row(schedule_misses(user=user("dispatcher"), month=JAN, today=TODAY), rural, "daily").compliant


def test_monthly_checks_on_the_1st_and_15th_by_the_grid_leader(user):
    leader = user("gridleader")
    first_due = next(d for d in DAYS if is_workday(d))  # 1 January is a holiday: moved to the next working day
    PatrolSession.objects.create(worker=leader, kind="monthly", client_key="m15", started_at=local(DAYS[14], 9))
    row = _row(schedule_misses(user=leader, month=JAN, today=TODAY), leader, "monthly")
    assert row.required == 2 and row.done == 1 and row.missed == [first_due] and not row.compliant
    PatrolSession.objects.create(worker=leader, kind="monthly", client_key="m1", started_at=local(first_due, 9))
    assert _row(schedule_misses(user=leader, month=JAN, today=TODAY), leader, "monthly").compliant
    # the worker has no monthly duty
    assert not [r for r in schedule_misses(user=leader, month=JAN, today=TODAY)
                if r.worker.username == "worker_a" and r.schedule.kind == "monthly"]


def test_days_not_yet_over_are_not_missed(user):
    leader = user("gridleader")
    row = _row(schedule_misses(user=leader, month=JAN, today=dt.date(2026, 1, 10)), leader, "monthly")
    assert row.required == 1 and row.pending


def test_quarterly_joint_check(user):
    leader, worker = user("gridleader"), user("worker_a")
    PatrolSession.objects.create(worker=leader, kind="quarterly", client_key="q1", started_at=local(DAYS[20], 9))
    rows = schedule_misses(user=leader, month=JAN, today=TODAY)
    assert _row(rows, leader, "quarterly").compliant
    mine = _row(rows, worker, "quarterly")
    assert not mine.compliant and mine.missed == [dt.date(2026, 3, 31)]
    pending = _row(schedule_misses(user=leader, month=JAN, today=dt.date(2026, 2, 1)), worker, "quarterly")
    assert pending.compliant and pending.pending


def test_misses_are_scoped(user):
    seen = {r.worker.username for r in schedule_misses(user=user("community"), month=JAN, today=TODAY)}
    assert "worker_a" in seen and "worker_b" not in seen
    assert {r.worker.username for r in schedule_misses(user=user("worker_a"), month=JAN, today=TODAY)} == {"worker_a"}
    assert schedule_misses(user=user("police"), month=JAN, today=TODAY) == []


def test_misses_api_filters_the_missed(as_user):
    body = as_user("street_dispatcher").get("/api/v1/patrols/misses?month=2026-01&only_missed=true").json()
    assert body["month"] == "2026-01" and body["rows"] and all(not r["compliant"] for r in body["rows"])
    assert as_user("street_dispatcher").get("/api/v1/patrols/misses?month=2026-13").status_code == 422
