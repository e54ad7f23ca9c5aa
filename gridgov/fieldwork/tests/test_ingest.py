"""GPS ingest: idempotent, out of order tolerated, bad points rejected one by one with index and reason."""

import datetime as dt
import json
import zoneinfo

import pytest
from django.utils import timezone

from gridgov.common.models import AuditLog, OutboxMessage
from gridgov.fieldwork.models import GpsPoint, PatrolDay, PatrolSession
from gridgov.fieldwork.services import DAY_TOPIC, patrol_points_ingest
from gridgov.fieldwork.tests.conftest import as_payload, line

pytestmark = pytest.mark.django_db


def _post(client, body):
    return client.post("/api/v1/patrols/points", data=json.dumps(body), content_type="application/json")


def _fresh_track(grid, n=30, minutes_ago=60):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=minutes_ago)
    return line(start, lon=grid.centroid_lon, lat=grid.centroid_lat, n=n)


def test_a_batch_is_stored_once_however_often_it_is_sent(as_user, worker, grid_a):
    points = as_payload(_fresh_track(grid_a))
    client = as_user("worker_a")
    first = _post(client, {"points": points})
    assert first.status_code == 200, first.content
    assert first.json()["accepted"] == 30 and first.json()["duplicates"] == 0 and first.json()["rejected"] == []
    again = _post(client, {"points": points})
    assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 30
    assert GpsPoint.objects.filter(worker=worker).count() - _demo_points(worker) == 30


def _demo_points(worker):
    from gridgov.fieldwork.models import GpsPoint

    cutoff = timezone.now() - dt.timedelta(hours=3)
    return GpsPoint.objects.filter(worker=worker, recorded_at__lt=cutoff).count()


def test_out_of_order_and_overlapping_batches(worker, grid_a):
    points = _fresh_track(grid_a, n=40)
    payload = as_payload(points)
    shuffled = list(reversed(payload[:25]))
    r1 = patrol_points_ingest(actor=worker, points=shuffled)
    r2 = patrol_points_ingest(actor=worker, points=payload[15:])  # 10 overlap
    assert (r1.accepted, r1.duplicates) == (25, 0)
    assert (r2.accepted, r2.duplicates) == (15, 10)
    start = points[0][0]
    stored = list(GpsPoint.objects.filter(worker=worker, recorded_at__gte=start).order_by("recorded_at")
                  .values_list("recorded_at", "lon"))
    assert [t for t, _ in stored] == [t for t, _x, _y in points]
    assert stored[0][1] == pytest.approx(points[0][1])


def test_epoch_milliseconds_and_iso_name_the_same_moment(worker, grid_a):
    t = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    ms = int(t.timestamp() * 1000)
    p = {"lon": grid_a.centroid_lon, "lat": grid_a.centroid_lat}
    assert patrol_points_ingest(actor=worker, points=[{"t": ms, **p}]).accepted == 1
    again = patrol_points_ingest(actor=worker, points=[{"t": t.astimezone(dt.timezone(dt.timedelta(hours=8)))
                                                       .isoformat(), **p}])
    assert (again.accepted, again.duplicates) == (0, 1)


def test_bad_points_are_rejected_individually_with_reasons(worker, grid_a, settings):
    now = timezone.now()
    ok = {"lon": grid_a.centroid_lon, "lat": grid_a.centroid_lat}
    points = [
        {"t": (now - dt.timedelta(minutes=1)).isoformat(), **ok},                               # 0 good
        {"t": (now + dt.timedelta(minutes=10)).isoformat(), **ok},                              # 1 future
        {"t": (now - dt.timedelta(days=settings.GRIDGOV_GPS_MAX_AGE_DAYS + 1)).isoformat(), **ok},  # 2 too old
        {"t": "2026-05-01T08:00:00", **ok},                                                      # 3 no offset
        {"t": "yesterday", **ok},                                                                # 4 bad time
        {"t": (now - dt.timedelta(minutes=2)).isoformat(), "lon": 200, "lat": 22.7},             # 5 out of range
        {"t": (now - dt.timedelta(minutes=3)).isoformat(), "lon": 116.40, "lat": 39.90},         # 6 Beijing
        {"t": (now - dt.timedelta(minutes=4)).isoformat(), "lon": "NaN", "lat": 22.7},           # 7 not a number
        {"t": (now - dt.timedelta(minutes=5)).isoformat(), **ok, "accuracy": 99999},             # 8 absurd accuracy
        {"t": (now - dt.timedelta(minutes=6)).isoformat(), **ok, "accuracy": -1},                # 9 negative accuracy
        "not a point",                                                                           # 10
        {"t": (now - dt.timedelta(minutes=7)).isoformat(), **ok, "accuracy": 12.5},              # 11 good
    ]
    result = patrol_points_ingest(actor=worker, points=points)
    assert result.accepted == 2
    codes = {r["index"]: r["code"] for r in result.rejected}
    assert codes == {1: "future", 2: "too_old", 3: "no_offset", 4: "bad_time", 5: "bad_coordinates",
                     6: "outside_district", 7: "bad_coordinates", 8: "bad_accuracy", 9: "bad_accuracy",
                     10: "not_an_object"}
    assert all(r["message"] and r["field"] is not None for r in result.rejected)


def test_nan_and_infinity_from_json_are_rejected(as_user, grid_a):
    body = ('{"points": [{"t": %d, "lon": NaN, "lat": 22.7}, {"t": %d, "lon": %f, "lat": Infinity}]}'
            % (int(timezone.now().timestamp() * 1000) - 1000, int(timezone.now().timestamp() * 1000) - 2000,
               grid_a.centroid_lon))
    response = as_user("worker_a").post("/api/v1/patrols/points", data=body, content_type="application/json")
    if response.status_code == 200:  # the JSON parser took NaN: our check must refuse both points
        assert response.json()["accepted"] == 0
        assert [r["code"] for r in response.json()["rejected"]] == ["bad_coordinates", "bad_coordinates"]
    else:
        assert response.status_code == 422


def test_a_batch_over_1000_points_is_refused_whole(as_user, worker, grid_a):
    start = timezone.now() - dt.timedelta(hours=2)
    points = as_payload(line(start, lon=grid_a.centroid_lon, lat=grid_a.centroid_lat, n=1001, step_s=1, east_m=1))
    before = GpsPoint.objects.count()
    response = _post(as_user("worker_a"), {"points": points})
    assert response.status_code == 422 and response.json()["field"] == "points"
    assert GpsPoint.objects.count() == before


def test_session_key_opens_the_patrol_once_and_links_points(worker, grid_a):
    points = as_payload(_fresh_track(grid_a, n=10))
    r1 = patrol_points_ingest(actor=worker, points=points[:5], session_key="phone-1")
    r2 = patrol_points_ingest(actor=worker, points=points[5:], session_key="phone-1")
    assert r1.session_id == r2.session_id
    session = PatrolSession.objects.get(worker=worker, client_key="phone-1")
    assert session.points.count() == 10


def test_ingest_queues_one_recompute_per_worker_day_and_the_worker_computes_it(worker, grid_a, time_machine):
    from gridgov.common.outbox import outbox_deliver_once

    # a track from 30 to 20 minutes ago lies in one local day only away from midnight (from 00:20 to 00:30 it
    # would span two): pin the clock to mid-morning
    time_machine.move_to(dt.datetime(2027, 3, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))
    points = as_payload(_fresh_track(grid_a, n=20, minutes_ago=30))
    patrol_points_ingest(actor=worker, points=points[:10])
    patrol_points_ingest(actor=worker, points=points[10:])
    queued = OutboxMessage.objects.filter(topic=DAY_TOPIC, payload__worker=worker.pk, delivered_at__isnull=True)
    assert 1 <= queued.count() <= 2  # one per minute (two if the minute turned between the batches)
    day = timezone.localtime(timezone.now() - dt.timedelta(minutes=30)).date()
    assert {m.payload["day"] for m in queued} == {day.isoformat()}
    PatrolDay.objects.filter(worker=worker, day=day).delete()
    OutboxMessage.objects.filter(pk__in=queued.values("pk")).update(available_at=timezone.now())
    outbox_deliver_once(worker_id="test")
    summary = PatrolDay.objects.get(worker=worker, day=day)
    assert summary.points >= 20


def test_each_batch_is_audited(worker, grid_a):
    before = AuditLog.objects.filter(action="patrol.points_ingest").count()
    patrol_points_ingest(actor=worker, points=as_payload(_fresh_track(grid_a, n=3)))
    row = AuditLog.objects.filter(action="patrol.points_ingest").latest("id")
    assert AuditLog.objects.filter(action="patrol.points_ingest").count() == before + 1
    assert row.detail["accepted"] == 3 and row.actor_id == worker.pk


@pytest.mark.parametrize("persona", ["dispatcher", "police", "sysadmin", "community"])
def test_only_workers_and_grid_leaders_upload_points(as_user, grid_a, persona):
    points = as_payload(_fresh_track(grid_a, n=3))
    before = GpsPoint.objects.count()
    response = _post(as_user(persona), {"points": points})
    assert response.status_code == 403 and GpsPoint.objects.count() == before


def test_grid_leader_records_their_own_points(as_user, user, grid_a):
    response = _post(as_user("gridleader"), {"points": as_payload(_fresh_track(grid_a, n=3))})
    assert response.status_code == 200 and response.json()["accepted"] == 3
    assert GpsPoint.objects.filter(worker=user("gridleader")).count() == 3


def test_sessions_start_idempotently_and_end_once(as_user, user):
    client = as_user("worker_a")
    body = {"client_key": "s-123", "kind": "daily"}
    first = client.post("/api/v1/patrols/sessions", data=json.dumps(body), content_type="application/json")
    again = client.post("/api/v1/patrols/sessions", data=json.dumps(body), content_type="application/json")
    assert first.status_code == 201 and again.status_code == 200 and first.json()["id"] == again.json()["id"]
    sid = first.json()["id"]
    ended = client.post(f"/api/v1/patrols/sessions/{sid}/end", data="{}", content_type="application/json")
    assert ended.status_code == 200 and ended.json()["ended_at"]
    other = as_user("worker_b").post(f"/api/v1/patrols/sessions/{sid}/end", data="{}",
                                     content_type="application/json")
    assert other.status_code == 404
