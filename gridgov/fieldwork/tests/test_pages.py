"""Patrol pages: who gets which page, scope (404 outside), no-store, links to replay, review with a note."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone

from gridgov.fieldwork.models import Anomaly, GpsPoint, PatrolDay
from gridgov.fieldwork.services import patrol_day_compute
from gridgov.fieldwork.tests.conftest import line, local, store

pytestmark = pytest.mark.django_db


def _demo_day():
    return (timezone.localdate() - dt.timedelta(days=2)).isoformat()


def test_worker_sees_own_days_with_replay_links(as_user, user):
    response = as_user("worker_a").get("/patrols/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.content.decode()
    worker = user("worker_a")
    assert f"/patrols/replay/{worker.pk}/" in body
    assert f"/patrols/replay/{user('worker_b').pk}/" not in body
    assert 'href="/patrols/record/"' in body


# 00:30 on the 1st of March in Asia/Shanghai: in UTC it is still 28 February.
FIRST_OF_MARCH = dt.datetime(2027, 3, 1, 0, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def _listed_days(body: str, worker_id: int) -> list[str]:
    return re.findall(rf'href="/patrols/replay/{worker_id}/(\d{{4}}-\d{{2}}-\d{{2}})/"', body)


@pytest.fixture
def march_tracks(worker, grid_a, time_machine):
    """worker_a's only tracks, seen on 1 March 2027 at 00:30: this morning, at 23:50 on the last day of February,
    and on the 31st and 30th day before today (the last days of January)."""
    time_machine.move_to(FIRST_OF_MARCH)
    GpsPoint.objects.filter(worker=worker).delete()
    PatrolDay.objects.filter(worker=worker).delete()
    starts = [local(dt.date(2027, 3, 1), 0, 5), local(dt.date(2027, 2, 28), 23, 50), local(dt.date(2027, 1, 31), 9),
              local(dt.date(2027, 1, 30), 9)]
    for start in starts:
        store(worker, line(start, lon=grid_a.centroid_lon, lat=grid_a.centroid_lat, n=8, step_s=60, east_m=25))
        patrol_day_compute(worker=worker, day=timezone.localtime(start).date())
    return worker


def test_on_the_first_of_a_month_the_list_shows_the_last_30_days(as_user, march_tracks):
    response = as_user("worker_a").get("/patrols/")
    body = response.content.decode()
    assert response.status_code == 200
    # today (by Asia/Shanghai, not UTC), yesterday in the previous month, 30 days back; not the 31st day back
    assert _listed_days(body, march_tracks.pk) == ["2027-03-01", "2027-02-28", "2027-01-31"]
    assert "最近 30 天（2027-01-31 至 2027-03-01）" in body
    assert 'name="month" value=""' in body  # the month picker is there, nothing picked


def test_a_picked_month_still_shows_that_month_only(as_user, march_tracks):
    body = as_user("worker_a").get("/patrols/?month=2027-01").content.decode()
    assert _listed_days(body, march_tracks.pk) == ["2027-01-31", "2027-01-30"]
    assert 'name="month" value="2027-01"' in body and "2027-01-01 至 2027-01-31" in body
    assert 'href="/patrols/"' in body and "最近 30 天" in body  # the way back to the default period
    empty = as_user("worker_a").get("/patrols/?month=2026-12").content.decode()
    assert _listed_days(empty, march_tracks.pk) == [] and "本月没有巡查轨迹" in empty


def test_a_month_that_is_not_one_falls_back_to_the_last_30_days(as_user, march_tracks):
    body = as_user("worker_a").get("/patrols/?month=2027-13").content.decode()
    assert _listed_days(body, march_tracks.pk) == ["2027-03-01", "2027-02-28", "2027-01-31"]
    assert 'name="month" value=""' in body


def test_dispatcher_picks_a_worker(as_user, user):
    body = as_user("street_dispatcher").get(f"/patrols/?worker={user('worker_b').pk}").content.decode()
    assert f"/patrols/replay/{user('worker_b').pk}/" in body and f"/patrols/replay/{user('worker_a').pk}/" not in body


@pytest.mark.parametrize("persona,status", [("worker_a", 200), ("gridleader", 200), ("community", 200),
                                            ("street_dispatcher", 200), ("leader", 200), ("worker_b", 404),
                                            ("police", 404), ("sysadmin", 404), ("auditadmin", 404)])
def test_replay_page_scope(as_user, user, persona, status):
    response = as_user(persona).get(f"/patrols/replay/{user('worker_a').pk}/{_demo_day()}/")
    assert response.status_code == status
    assert response["Cache-Control"] == "no-store"
    if status == 200:
        assert b'id="map"' in response.content and b"replay.js" in response.content


def test_replay_of_a_bad_day_is_404(as_user, user):
    assert as_user("worker_a").get(f"/patrols/replay/{user('worker_a').pk}/2026-13-01/").status_code == 404


def test_record_page_only_for_those_who_patrol(as_user):
    assert as_user("worker_a").get("/patrols/record/").status_code == 200
    assert as_user("gridleader").get("/patrols/record/").status_code == 200
    assert as_user("dispatcher").get("/patrols/record/").status_code == 404


def test_schedule_page(as_user):
    response = as_user("street_dispatcher").get("/patrols/schedule/?month=2026-01&all=1")
    assert response.status_code == 200
    body = response.content.decode()
    assert "日巡查" in body and "月排查" in body


def test_anomaly_list_links_evidence_and_replay(as_user, user):
    response = as_user("dispatcher").get("/anomalies/?status=")
    assert response.status_code == 200
    body = response.content.decode()
    copied = Anomaly.objects.get(kind="copied_track", worker=user("worker_a"))
    assert f"/anomalies/{copied.pk}/" in body and f"/patrols/replay/{user('worker_a').pk}/{copied.day}/" in body
    assert as_user("worker_a").get("/anomalies/").status_code == 404


def test_review_on_the_page_needs_a_note(as_user, user):
    copied = Anomaly.objects.get(kind="copied_track", worker=user("worker_a"))
    client = as_user("street_dispatcher")
    page = client.get(f"/anomalies/{copied.pk}/")
    assert page.status_code == 200 and "与之相同的日期" in page.content.decode()
    refused = client.post(f"/anomalies/{copied.pk}/", {"decision": "confirm", "note": ""})
    assert refused.status_code == 422
    copied.refresh_from_db()
    assert copied.status == "open"
    done = client.post(f"/anomalies/{copied.pk}/", {"decision": "confirm", "note": "与18日轨迹完全相同"})
    assert done.status_code == 302
    copied.refresh_from_db()
    assert copied.status == "confirmed" and copied.reviewed_by.username == "street_dispatcher"
    again = client.post(f"/anomalies/{copied.pk}/", {"decision": "dismiss", "note": "改主意"})
    assert again.status_code == 422  # already reviewed: the page shows the conflict, nothing changes
    copied.refresh_from_db()
    assert copied.status == "confirmed"


def test_grid_leader_sees_but_does_not_review(as_user, user):
    copied = Anomaly.objects.get(kind="copied_track", worker=user("worker_a"))
    client = as_user("gridleader")
    assert client.get(f"/anomalies/{copied.pk}/").status_code == 200
    response = client.post(f"/anomalies/{copied.pk}/", {"decision": "dismiss", "note": "网格长自查"})
    copied.refresh_from_db()
    assert response.status_code == 422 and copied.status == "open"


def test_nav_has_the_patrols_link(as_user):
    assert b'href="/patrols/"' in as_user("worker_a").get("/").content
    assert b'href="/patrols/"' not in as_user("police").get("/").content
