"""Daily summaries on a small track computed by hand: distance without jumps or gaps, time on patrol, time inside
the worker's grids, share of the grid covered (50 m cells), the patrol-day rule, Asia/Shanghai days."""

import datetime as dt

import pytest

from gridgov.fieldwork.models import PatrolDay
from gridgov.fieldwork.services import patrol_day_compute
from gridgov.fieldwork.tests.conftest import line, local, store
from gridgov.fieldwork.track import scale

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 1, 5)


def _hand_track(lon, lat):
    """40 minutes east at 25 m a minute (1,000 m), one fix 5 km away in the middle (a jump), a 15-minute pause with
    a 100 m move, then 10 minutes north at 25 m a minute (250 m), one fix with 500 m accuracy in the middle."""
    sx, sy = scale(lat)
    first = line(local(DAY, 9), lon=lon, lat=lat, n=41, step_s=60, east_m=25)
    spike = [(local(DAY, 9, 20) + dt.timedelta(seconds=30), lon + 5000 / sx, lat)]
    end_lon = first[-1][1]
    second = line(local(DAY, 9, 55), lon=end_lon, lat=lat + 100 / sy, n=11, step_s=60, east_m=0, north_m=25)
    return first, spike, second


def test_a_small_track_by_hand(worker, grid_a):
    lon, lat = grid_a.centroid_lon - 0.004, grid_a.centroid_lat
    first, spike, second = _hand_track(lon, lat)
    store(worker, first + spike + second)
    bad_fix = (local(DAY, 10, 0) + dt.timedelta(seconds=30), second[5][1] + 300 / scale(lat)[0], second[5][2])
    store(worker, [bad_fix], accuracy=500)

    day = patrol_day_compute(worker=worker, day=DAY)

    assert day.points == 41 + 1 + 11 + 1
    assert day.distance_m == pytest.approx(1000 + 250, abs=1)  # the jump, the pause and the bad fix left out
    assert day.moving_seconds == 40 * 60 + 10 * 60
    assert day.inside_seconds == day.moving_seconds  # all of it inside grid A (or its micro-grids)
    # cells: about 1,000 / 50 + 1 along the first leg and 250 / 50 + 1 along the second; the grid holds about
    # area / 2,500 m² cells
    cells = day.coverage * grid_a.area_m2 / 2500
    assert 24 <= cells <= 30
    assert day.is_patrol_day
    assert day.first_at == first[0][0] and day.last_at == second[-1][0]


def test_the_same_walk_outside_own_grids_counts_nothing_inside(worker, user):
    grid_b = user("worker_b").grids.get()
    first, _spike, second = _hand_track(grid_b.centroid_lon, grid_b.centroid_lat)
    store(worker, first + second)
    day = patrol_day_compute(worker=worker, day=DAY)
    assert day.distance_m == pytest.approx(1250, abs=1) and day.moving_seconds == 3000
    assert day.inside_seconds == 0 and day.coverage == 0 and not day.is_patrol_day


def test_too_short_a_patrol_is_not_a_patrol_day(worker, grid_a):
    store(worker, line(local(DAY, 9), lon=grid_a.centroid_lon, lat=grid_a.centroid_lat, n=21, step_s=60, east_m=25))
    day = patrol_day_compute(worker=worker, day=DAY)
    assert day.moving_seconds == 1200 and not day.is_patrol_day  # 20 minutes < 30 of 日巡查


def test_standing_still_for_an_hour_is_not_a_patrol_day(worker, grid_a):
    store(worker, line(local(DAY, 9), lon=grid_a.centroid_lon, lat=grid_a.centroid_lat, n=61, step_s=60, east_m=0.5))
    day = patrol_day_compute(worker=worker, day=DAY)
    assert day.inside_seconds == 3600 and day.distance_m < 500 and not day.is_patrol_day


def test_days_are_cut_at_midnight_in_asia_shanghai(worker, grid_a):
    before = dt.datetime(2026, 1, 4, 15, 50, tzinfo=dt.UTC)  # 23:50 on the 4th in Shanghai
    after = dt.datetime(2026, 1, 4, 16, 10, tzinfo=dt.UTC)  # 00:10 on the 5th
    store(worker, [(before, grid_a.centroid_lon, grid_a.centroid_lat), (after, grid_a.centroid_lon,
                                                                         grid_a.centroid_lat)])
    assert patrol_day_compute(worker=worker, day=dt.date(2026, 1, 4)).points == 1
    assert patrol_day_compute(worker=worker, day=DAY).points == 1


def test_recomputing_replaces_the_summary_and_a_day_without_points_has_none(worker, grid_a):
    store(worker, line(local(DAY, 9), lon=grid_a.centroid_lon, lat=grid_a.centroid_lat, n=11, step_s=60))
    patrol_day_compute(worker=worker, day=DAY)
    store(worker, line(local(DAY, 10), lon=grid_a.centroid_lon, lat=grid_a.centroid_lat, n=11, step_s=60))
    assert patrol_day_compute(worker=worker, day=DAY).points == 22
    assert PatrolDay.objects.filter(worker=worker, day=DAY).count() == 1
    assert patrol_day_compute(worker=worker, day=DAY + dt.timedelta(days=1)) is None
    assert not PatrolDay.objects.filter(worker=worker, day=DAY + dt.timedelta(days=1)).exists()


def test_the_demo_days_are_summarised(user):
    from django.utils import timezone

    today = timezone.localdate()
    history = PatrolDay.objects.filter(worker=user("worker_a"))
    assert history.filter(is_patrol_day=True).count() >= 40  # three months: most working days
    assert not history.filter(day__lt=today - dt.timedelta(days=92)).exists() and not history.filter(day__gt=today)
    days = history.filter(day__gte=today - dt.timedelta(days=5), day__lt=today).order_by("day")  # the planted ones
    assert days.count() == 5
    assert all(d.distance_m > 0 for d in days)
    standing = [d for d in days if d.distance_m < 500]
    assert len(standing) == 1 and not standing[0].is_patrol_day
