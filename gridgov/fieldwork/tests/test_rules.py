"""Each anomaly rule on plain data: a positive and a negative case (and the edge that separates them)."""

import datetime as dt

import numpy as np

from gridgov.fieldwork import rules
from gridgov.fieldwork.track import scale

LON, LAT = 113.865, 22.776
SX, SY = scale(LAT)


def walk(n=200, step_s=10, east_m=12.0, north_m=0.0, t0=1_767_000_000.0, lon=LON, lat=LAT):
    i = np.arange(n)
    return t0 + i * step_s, lon + i * east_m / SX, lat + i * north_m / SY


def zigzag(n=200, step_s=10, t0=1_767_000_000.0, seed=1):
    rng = np.random.default_rng(seed)
    angles = np.cumsum(rng.normal(0, 0.6, n))
    x = np.cumsum(12 * np.cos(angles))
    y = np.cumsum(12 * np.sin(angles))
    return t0 + np.arange(n) * step_s, LON + x / SX, LAT + y / SY


# -- impossible speed ---------------------------------------------------------------------------------------------------
def test_a_jump_of_kilometres_in_seconds_is_found():
    t, lon, lat = walk()
    lon = lon.copy()
    lon[100] += 5000 / SX  # 5 km away for one fix
    found = rules.impossible_speed(t, lon, lat, max_speed_kmh=120)
    assert found and found.evidence["jumps"] == 2 and found.evidence["max_kmh"] > 1000
    assert found.evidence["examples"][0]["metres"] >= 4900


def test_walking_and_gps_jitter_are_not_jumps():
    t, lon, lat = walk(east_m=12)  # 4.3 km/h
    assert rules.impossible_speed(t, lon, lat) is None
    t2 = np.array([0.0, 1.0, 2.0])
    jitter = np.array([LON, LON + 15 / SX, LON])  # 15 m in one second is 54 km/h of noise, under 200 m
    assert rules.impossible_speed(t2, jitter, np.full(3, LAT)) is None


def test_a_car_at_100_kmh_is_not_a_jump_but_150_is():
    t, lon, lat = walk(n=30, step_s=10, east_m=100 / 3.6 * 10)
    assert rules.impossible_speed(t, lon, lat, max_speed_kmh=120) is None
    t, lon, lat = walk(n=30, step_s=10, east_m=150 / 3.6 * 10)
    assert rules.impossible_speed(t, lon, lat, max_speed_kmh=120).evidence["jumps"] == 29


# -- never moves --------------------------------------------------------------------------------------------------------
def test_an_hour_within_ten_metres_never_moves():
    rng = np.random.default_rng(3)
    n = 360
    t = 1_767_000_000.0 + np.arange(n) * 10
    lon, lat = LON + rng.normal(0, 4, n) / SX, LAT + rng.normal(0, 4, n) / SY
    found = rules.never_moves(t, lon, lat)
    assert found and found.evidence["minutes"] >= 59 and found.evidence["radius_m"] <= 30


def test_a_real_walk_moves_and_a_short_stop_is_not_a_patrol():
    assert rules.never_moves(*walk(n=360)) is None
    rng = np.random.default_rng(4)
    t = 1_767_000_000.0 + np.arange(100) * 10  # 16.5 minutes standing: too short to judge
    assert rules.never_moves(t, LON + rng.normal(0, 3, 100) / SX, LAT + rng.normal(0, 3, 100) / SY) is None


# -- copied track -------------------------------------------------------------------------------------------------------
def test_the_same_track_shifted_by_days_is_a_copy():
    t, lon, lat = zigzag()
    earlier = (t - 3 * 86400 - 1200, lon, lat)
    found = rules.copied_track(t, lon, lat, {dt.date(2026, 1, 2): earlier})
    assert found and found.evidence["similarity"] == 1.0 and found.evidence["same_as_day"] == "2026-01-02"
    assert found.evidence["shift_hours"] == 72.33


def test_a_copy_with_a_few_points_dropped_at_the_start_is_still_a_copy():
    t, lon, lat = zigzag()
    found = rules.copied_track(t[5:], lon[5:], lat[5:], {dt.date(2026, 1, 2): (t - 86400, lon, lat)})
    assert found and found.evidence["similarity"] >= 0.9


def test_walking_the_same_streets_again_is_not_a_copy():
    t, lon, lat = zigzag(seed=1)
    rng = np.random.default_rng(9)
    again = (t - 86400, lon + rng.normal(0, 6, len(t)) / SX, lat + rng.normal(0, 6, len(t)) / SY)  # GPS noise
    assert rules.copied_track(t, lon, lat, {dt.date(2026, 1, 2): again}) is None
    other = zigzag(seed=2)
    assert rules.copied_track(t, lon, lat, {dt.date(2026, 1, 3): (other[0] - 86400, other[1], other[2])}) is None


# -- outside the grid ---------------------------------------------------------------------------------------------------
def test_a_patrol_mostly_outside_own_grids_is_found():
    found = rules.outside_grid(moving_seconds=3600, inside_seconds=600)
    assert found and found.evidence["outside_share"] == round(1 - 600 / 3600, 3)


def test_a_patrol_mostly_inside_or_too_short_is_fine():
    assert rules.outside_grid(moving_seconds=3600, inside_seconds=3000) is None
    assert rules.outside_grid(moving_seconds=600, inside_seconds=0) is None  # ten minutes: not a patrol to judge


# -- month-end burst ----------------------------------------------------------------------------------------------------
def test_most_of_a_months_reports_in_its_last_three_days_is_a_burst():
    days = [dt.date(2026, 4, 3), dt.date(2026, 4, 10)] + [dt.date(2026, 4, 28)] * 5 + [dt.date(2026, 4, 30)] * 5
    found = rules.month_end_burst(days, year=2026, month=4)
    assert found and found.evidence["in_last_days"] == 10 and found.evidence["records"] == 12
    assert found.evidence["from"] == "2026-04-28"


def test_an_even_month_or_too_few_records_is_no_burst():
    even = [dt.date(2026, 4, d) for d in range(1, 31)]
    assert rules.month_end_burst(even, year=2026, month=4) is None
    few = [dt.date(2026, 4, 30)] * 9
    assert rules.month_end_burst(few, year=2026, month=4) is None
    december = [dt.date(2026, 12, 29)] * 12  # the month's end is found across the year boundary too
    assert rules.month_end_burst(december, year=2026, month=12) is not None


# -- quick mediation ----------------------------------------------------------------------------------------------------
def test_a_dozen_disputes_settled_within_an_hour_is_found():
    t0 = dt.datetime(2026, 4, 20, 9, 0, tzinfo=dt.UTC)
    settled = [(i, t0 + dt.timedelta(minutes=5 * i)) for i in range(12)]
    found = rules.quick_mediation(settled)
    assert found and found.evidence["disputes"] == 12 and found.evidence["ids"] == list(range(12))


def test_disputes_settled_over_a_day_are_fine():
    t0 = dt.datetime(2026, 4, 20, 9, 0, tzinfo=dt.UTC)
    settled = [(i, t0 + dt.timedelta(minutes=50 * i)) for i in range(12)]
    assert rules.quick_mediation(settled) is None
    assert rules.quick_mediation([(1, t0), (2, t0), (3, t0), (4, t0)]) is None  # four: under the threshold
