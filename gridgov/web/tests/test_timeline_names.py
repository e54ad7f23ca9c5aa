"""Timelines name people and where they work — "张伟（新安派出所）" — never a login name: the case page and the case
API (a display field beside the stored login name, so the API contract keeps its fields), the dispute page and API,
and the patrol anomaly's reviewer."""

import re

import pytest

from gridgov.web.tests.home_cases import sanitation_handler

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(user):
    from gridgov.events.services import Report, event_report, event_transition

    grid = user("worker_a").grids.get()
    event = event_report(actor=user("worker_a"), report=Report(
        category_code="0301", description="时间线测试", lon=grid.centroid_lon, lat=grid.centroid_lat, photo_count=1))
    event_transition(actor=sanitation_handler(), event_id=event.pk, action="sign", version=None)
    event_transition(actor=user("street_dispatcher"), event_id=event.pk, action="supervise", version=None,
                     reason="请加快")
    return event


def _timeline(body: str) -> str:
    return body.split('<ul class="timeline">')[1].split("</ul>")[0]


def test_the_case_timeline_names_the_person_and_their_department(as_user, user, case):
    handler, worker, dispatcher = sanitation_handler(), user("worker_a"), user("street_dispatcher")
    timeline = _timeline(as_user("street_dispatcher").get(f"/cases/{case.pk}/").content.decode())
    whos = re.findall(r'<span class="who">([^<]*)</span>', timeline)
    assert whos == [f"{worker.full_name}（网格员）", "系统", f"{handler.full_name}（{handler.department.name}）",
                    f"{dispatcher.full_name}（{dispatcher.region.name} · 坐席员）"]
    for login in (handler.username, worker.username, dispatcher.username, "system"):
        assert login not in timeline


def test_the_case_api_adds_a_display_name_beside_the_login_name(as_user, user, case):
    handler = sanitation_handler()
    body = as_user("street_dispatcher").get(f"/api/v1/events/{case.pk}").json()
    sign = next(t for t in body["timeline"] if t["action"] == "sign")
    assert sign["actor"] == handler.username  # the contract: unchanged
    assert sign["actor_display"] == f"{handler.full_name}（{handler.department.name}）"
    auto = next(t for t in body["timeline"] if t["action"] == "auto_dispatch")
    assert (auto["actor"], auto["actor_display"]) == ("system", "系统")


def test_a_report_no_account_made_names_its_channel(as_user, user):
    from gridgov.events.services import Report, event_report

    grid = user("worker_a").grids.get()
    event = event_report(actor=None, report=Report(category_code="0401", description="市民扫码反映纠纷",
                                                  lon=grid.centroid_lon, lat=grid.centroid_lat, channel="citizen"))
    report = as_user("street_dispatcher").get(f"/api/v1/events/{event.pk}").json()["timeline"][0]
    assert report["action"] == "report" and report["actor_display"] == str(event.get_channel_display())


def test_the_dispute_timeline_names_people(as_user, user):
    from gridgov.disputes.services import PartyIn, dispute_register, dispute_step_add

    worker, community = user("worker_a"), user("community")
    dispute = dispute_register(actor=worker, kind="neighbour", summary="时间线纠纷", grid_id=worker.grids.get().pk,
                               parties=[PartyIn(role="applicant", name="张三")])[0]
    dispute_step_add(actor=community, dispute_id=dispute.pk, kind="talk", note="约谈双方")
    page = _timeline(as_user("community").get(f"/disputes/{dispute.pk}/").content.decode())
    assert f"{worker.full_name}（网格员）" in page
    assert f"{community.full_name}（{community.region.name} · 工作人员）" in page
    assert worker.username not in page and community.username not in page
    moves = as_user("community").get(f"/api/v1/disputes/{dispute.pk}").json()["transitions"]
    assert moves[0]["by"] == worker.username and moves[0]["by_display"] == f"{worker.full_name}（网格员）"


def test_an_anomaly_names_its_reviewer(as_user, user):
    from gridgov.fieldwork.models import Anomaly
    from gridgov.fieldwork.services import anomaly_review

    reviewer = user("street_dispatcher")
    anomaly = Anomaly.objects.restrict(reviewer, "change").filter(status="open").first()
    anomaly_review(actor=reviewer, anomaly_id=anomaly.pk, decision="confirm", note="核实属实")
    label = f"{reviewer.full_name}（{reviewer.region.name} · 坐席员）"
    assert label in as_user("street_dispatcher").get(f"/anomalies/{anomaly.pk}/").content.decode()
    found = next(a for a in as_user("street_dispatcher").get("/api/v1/anomalies?status=confirmed").json()["items"]
                 if a["id"] == anomaly.pk)
    assert found["reviewed_by"] == reviewer.username and found["reviewed_by_name"] == label
