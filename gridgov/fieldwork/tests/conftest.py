import datetime as dt

import pytest

from gridgov.fieldwork.track import scale


@pytest.fixture
def worker(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_a")


@pytest.fixture
def grid_a(worker):
    return worker.grids.get()


def line(start: dt.datetime, *, lon: float, lat: float, n: int, step_s: float = 30, east_m: float = 20,
         north_m: float = 0.0) -> list[tuple[dt.datetime, float, float]]:
    """n points from (lon, lat), one every step_s seconds, moving east_m / north_m metres per step."""
    sx, sy = scale(lat)
    return [(start + dt.timedelta(seconds=i * step_s), lon + i * east_m / sx, lat + i * north_m / sy)
            for i in range(n)]


def as_payload(points) -> list[dict]:
    return [{"t": t.isoformat(), "lon": x, "lat": y, "accuracy": 8} for t, x, y in points]


def store(worker, points, accuracy=8.0):
    """Write raw points directly (for summaries and detection tests on days of our choosing)."""
    from gridgov.fieldwork.models import GpsPoint

    GpsPoint.objects.bulk_create([GpsPoint(worker=worker, recorded_at=t, received_at=t, lon=x, lat=y,
                                           accuracy_m=accuracy) for t, x, y in points])


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    from gridgov.fieldwork.services import day_bounds

    return day_bounds(day)[0] + dt.timedelta(hours=hour, minutes=minute)
