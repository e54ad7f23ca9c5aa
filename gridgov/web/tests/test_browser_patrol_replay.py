"""Real Chromium replays a demo patrol track: the worker's grids and track draw on the map (no tiles), play moves the
marker (the time label and the position change), on a desktop and on a phone; the dispatcher reaches the replay
from the anomaly list."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser


def _replay(page, base, worker_id, day):
    page.goto(f"{base}/patrols/replay/{worker_id}/{day}/")
    page.wait_for_function("document.getElementById('map').dataset.ready === '1'", timeout=15000)


def _play_moves_the_marker(page):
    before_time = page.inner_text("#replay-time")
    before_pos = page.inner_text("#replay-pos")
    assert before_time != "--:--:--"
    page.select_option("#speed", "1200")
    page.click("#play")
    page.wait_for_function(f"document.getElementById('replay-time').textContent !== {before_time!r}",
                           timeout=10000)
    page.wait_for_timeout(600)
    assert page.inner_text("#replay-pos") != before_pos
    assert int(page.get_attribute("#map", "data-index")) > 0
    page.click("#play")  # pause
    paused = page.inner_text("#replay-time")
    page.wait_for_timeout(500)
    assert page.inner_text("#replay-time") == paused


def test_replay_a_demo_track(demo_live_server, page_for):
    from gridgov.accounts.models import User
    from gridgov.fieldwork.models import Anomaly, PatrolDay

    base = demo_live_server.url
    worker = User.objects.get(username="worker_a")
    day = PatrolDay.objects.filter(worker=worker).order_by("day").first().day
    assert day >= timezone.localdate() - dt.timedelta(days=6)

    desk = page_for()
    login(desk, base, "worker_a")
    desk.goto(f"{base}/patrols/")
    assert desk.locator(f"a.replay-link[href='/patrols/replay/{worker.pk}/{day.isoformat()}/']").count() == 1
    shot(desk, "patrol-days-desktop")
    _replay(desk, base, worker.pk, day.isoformat())
    layers = desk.evaluate("(() => { let n = 0; window.__gridgovReplayMap.eachLayer(() => n++); return n; })()")
    assert layers > 20  # the grid, the coloured track, its points and the marker (drawn on a canvas)
    assert "km" in desk.inner_text("#sum-distance")
    _play_moves_the_marker(desk)
    shot(desk, "patrol-replay-desktop")
    desk.goto(f"{base}/patrols/schedule/?all=1")
    assert desk.locator("table.misses tbody tr", has_text="日巡查").count() == 1
    assert desk.locator("table.misses tbody tr", has_text="季度联查").count() == 1
    shot(desk, "patrol-schedule-desktop")
    assert desk.errors == []

    recorder = page_for(viewport=(390, 844))
    login(recorder, base, "worker_a")
    recorder.goto(f"{base}/patrols/record/")
    assert recorder.locator("#start").is_visible() and not recorder.locator("#stop").is_visible()
    # the phone's position (Chromium's geolocation override) is read, sent in a batch when the patrol ends
    from gridgov.fieldwork.models import GpsPoint, PatrolSession

    grid = worker.grids.get()
    recorder.context.grant_permissions(["geolocation"], origin=base)
    recorder.context.set_geolocation({"latitude": grid.centroid_lat, "longitude": grid.centroid_lon, "accuracy": 8})
    before = GpsPoint.objects.filter(worker=worker).count()
    recorder.click("#start")
    recorder.wait_for_function("parseInt(document.getElementById('n-read').textContent, 10) >= 1", timeout=10000)
    for i in range(1, 4):
        recorder.wait_for_timeout(1100)  # a new fix a second later, 20 m further east
        recorder.context.set_geolocation({"latitude": grid.centroid_lat, "longitude": grid.centroid_lon + i * 0.0002,
                                          "accuracy": 8})
    shot(recorder, "patrol-record-phone")
    recorder.click("#stop")
    recorder.wait_for_function("document.getElementById('start').hidden === false", timeout=10000)
    stored = GpsPoint.objects.filter(worker=worker).count() - before
    assert stored >= 1 and int(recorder.inner_text("#n-accepted")) == stored
    session = PatrolSession.objects.filter(worker=worker).latest("started_at")
    assert session.ended_at is not None and session.points.count() == stored
    assert recorder.errors == []

    phone = page_for(viewport=(390, 844))
    login(phone, base, "dispatcher")
    phone.goto(f"{base}/anomalies/")
    copied = Anomaly.objects.get(kind="copied_track", worker=worker)
    shot(phone, "patrol-anomalies-phone")
    with phone.expect_navigation():
        phone.click(f"a.replay-link[href='/patrols/replay/{worker.pk}/{copied.day.isoformat()}/']")
    phone.wait_for_function("document.getElementById('map').dataset.ready === '1'", timeout=15000)
    assert phone.locator("#replay-anomalies a").count() >= 1
    _play_moves_the_marker(phone)
    shot(phone, "patrol-replay-phone")
    assert phone.errors == []


def test_a_phone_with_a_wrong_clock_records_at_the_server_time(demo_live_server, page_for):
    """The phone's clock is 40 days behind the server's (the server travels, Chromium does not): positions are sent
    at the server's time, so none is refused as older than 30 days and they fall on the server's day."""
    import time_machine

    from gridgov.accounts.models import User
    from gridgov.fieldwork.models import GpsPoint

    worker = User.objects.get(username="worker_a")
    grid = worker.grids.get()
    with time_machine.travel(dt.timedelta(days=40), tick=True):
        page = page_for(viewport=(390, 844))
        login(page, demo_live_server.url, "worker_a")
        page.goto(f"{demo_live_server.url}/patrols/record/")
        page.context.grant_permissions(["geolocation"], origin=demo_live_server.url)
        page.context.set_geolocation({"latitude": grid.centroid_lat, "longitude": grid.centroid_lon, "accuracy": 8})
        started = timezone.now()
        page.click("#start")
        page.wait_for_function("parseInt(document.getElementById('n-read').textContent, 10) >= 1", timeout=10000)
        page.click("#stop")
        page.wait_for_function("document.getElementById('start').hidden === false", timeout=10000)
        ended = timezone.now()
        assert page.inner_text("#n-rejected") == "0"
        stored = list(GpsPoint.objects.filter(worker=worker, recorded_at__gte=started - dt.timedelta(minutes=1))
                      .values_list("recorded_at", flat=True))
        assert len(stored) == int(page.inner_text("#n-accepted")) >= 1
        assert all(started - dt.timedelta(seconds=10) <= t <= ended + dt.timedelta(seconds=10) for t in stored)
    assert page.errors == []
