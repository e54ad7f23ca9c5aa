"""Joint cases (网格吹哨、部门报到): the lead department holds the case; an assisting department signs for and reports
on its own part only, and can neither return the case nor move it to verification."""

import pytest

from gridgov.events.models import Assignment, Event
from gridgov.events.tests.test_intake_and_workflow import act, handler_of, report, street_dept

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(as_user, upload, grid_a):
    """积存垃圾 goes to the street's sanitation office (lead) with the district's cleaning company assisting."""
    worker = as_user("worker_a")
    body = report(worker, lon=grid_a.centroid_lon, lat=grid_a.centroid_lat, photos=[upload(worker)]).json()
    event = Event.objects.get(pk=body["id"])
    lead = street_dept(grid_a, "sanitation")
    assisting = event.assignments.get(is_lead=False).department
    assert assisting.kind == "cleaning"
    assert {(a.department_id, a.is_lead) for a in event.assignments.all()} == {(lead.pk, True),
                                                                                (assisting.pk, False)}
    return {"event": event, "lead": handler_of(lead), "assisting": handler_of(assisting), "worker": worker,
            "lead_dept": lead, "assisting_dept": assisting}


def _state(event):
    fresh = Event.objects.get(pk=event.pk)
    return fresh.status, fresh.version, fresh.transitions.count()


@pytest.mark.parametrize("action,extra", [("sign", {}), ("return", {"reason": "不归我们管"}),
                                          ("feedback", {"reason": "已清理"}),
                                          ("request_extension", {"reason": "需要时间"})])
def test_an_assisting_department_cannot_move_the_whole_case(as_user, joint, action, extra):
    client = as_user(joint["assisting"].username)
    before = _state(joint["event"])
    response = act(client, joint["event"].pk, action, **extra)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "forbidden" and "牵头" in response.json()["message"]
    assert _state(joint["event"]) == before


def test_an_assisting_department_signs_for_and_reports_on_its_own_part(as_user, joint):
    event, client = joint["event"], as_user(joint["assisting"].username)
    shown = client.get(f"/api/v1/events/{event.pk}").json()
    assert [a["action"] for a in shown["allowed_actions"]] == ["sign_part", "report_part"]
    signed = act(client, event.pk, "sign_part", version=shown["version"])
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "dispatched"  # the case is the lead's to sign: the status stays
    part = Assignment.objects.get(event=event, department=joint["assisting_dept"], active=True)
    assert part.signed_by == joint["assisting"] and part.signed_at and part.reported_at is None
    again = act(client, event.pk, "sign_part")
    assert again.status_code == 422 and again.json()["code"] == "already_done"
    assert act(client, event.pk, "report_part").json()["field"] == "reason"  # a report says what was done
    reported = act(client, event.pk, "report_part", reason="已清洗路面")
    assert reported.status_code == 200 and reported.json()["status"] == "dispatched"
    assert reported.json()["allowed_actions"] == []  # its part is done
    part.refresh_from_db()
    assert (part.report, part.reported_by) == ("已清洗路面", joint["assisting"])
    lead = Assignment.objects.get(event=event, is_lead=True)
    assert lead.signed_at is None and lead.reported_at is None  # the lead's part is its own
    assert [t.action for t in event.transitions.all()][-2:] == ["sign_part", "report_part"]


def test_the_lead_signs_and_reports_the_case_and_the_api_shows_every_part(as_user, upload, joint):
    event = joint["event"]
    lead = as_user(joint["lead"].username)
    assert [a["action"] for a in lead.get(f"/api/v1/events/{event.pk}").json()["allowed_actions"]] == [
        "sign", "return", "feedback", "request_extension"]
    assert act(lead, event.pk, "sign_part").status_code == 403  # the lead's part is the whole case
    assert act(lead, event.pk, "sign").json()["status"] == "handling"
    act(as_user(joint["assisting"].username), event.pk, "report_part", reason="已清洗路面")
    done = act(lead, event.pk, "feedback", reason="垃圾已清运", photos=[upload(lead)])
    assert done.json()["status"] == "handled"
    parts = joint["worker"].get(f"/api/v1/events/{event.pk}").json()["departments"]
    assert [(p["name"], p["lead"]) for p in parts] == [(joint["lead_dept"].name, True),
                                                        (joint["assisting_dept"].name, False)]
    lead_part, assisting_part = parts
    assert lead_part["signed_by"] == joint["lead"].display_name and lead_part["report"] == "垃圾已清运"
    assert lead_part["signed_at"] and lead_part["reported_at"]
    assert assisting_part["report"] == "已清洗路面" and assisting_part["signed_at"] == assisting_part["reported_at"]
    assert assisting_part["reported_by"] == joint["assisting"].display_name


def test_each_department_finds_its_own_part_in_its_inbox(as_user, joint):
    event = joint["event"]
    lead, assisting = as_user(joint["lead"].username), as_user(joint["assisting"].username)

    def ids(client, queue):
        return [e["id"] for e in client.get(f"/api/v1/events?queue={queue}").json()["items"]]

    assert event.pk in ids(lead, "to_sign") and event.pk in ids(assisting, "to_sign")
    act(lead, event.pk, "sign")
    assert event.pk not in ids(lead, "to_sign") and event.pk in ids(lead, "handling")
    assert event.pk in ids(assisting, "to_sign") and event.pk not in ids(assisting, "handling")  # not signed yet
    act(assisting, event.pk, "sign_part")
    assert event.pk not in ids(assisting, "to_sign") and event.pk in ids(assisting, "handling")
    assert assisting.get("/api/v1/events/queues").json()["handling"] >= 1
    act(assisting, event.pk, "report_part", reason="已配合清洗")
    assert event.pk not in ids(assisting, "handling") and event.pk in ids(lead, "handling")  # its part is done


def test_the_case_page_shows_the_parts_and_offers_each_department_its_own_moves(as_user, joint):
    event = joint["event"]
    act(as_user(joint["assisting"].username), event.pk, "report_part", reason="已清洗路面")
    page = as_user("street_dispatcher").get(f"/cases/{event.pk}/").content.decode()
    parts = page.split('id="parts"')[1].split("</table>")[0]
    assert joint["lead_dept"].name in parts and joint["assisting_dept"].name in parts
    assert "牵头" in parts and "协办" in parts and "已清洗路面" in parts
    assisting_page = as_user(joint["assisting"].username).get(f"/cases/{event.pk}/").content.decode()
    assert 'data-action="sign"' not in assisting_page and 'data-action="feedback"' not in assisting_page
    lead_page = as_user(joint["lead"].username).get(f"/cases/{event.pk}/").content.decode()
    assert 'data-action="sign"' in lead_page and 'data-action="report_part"' not in lead_page


def test_a_department_that_no_longer_holds_the_case_is_refused(as_user, joint, grid_a):
    event, assisting = joint["event"], as_user(joint["assisting"].username)
    act(as_user(joint["lead"].username), event.pk, "return", reason="非本单位职责")
    late = act(assisting, event.pk, "report_part", reason="迟到的报告")
    assert late.status_code == 422 and late.json()["code"] == "illegal_move"  # returned: nobody handles it now
    market = street_dept(grid_a, "market")
    act(as_user("street_dispatcher"), event.pk, "dispatch", lead_department=market.pk)
    before = _state(event)
    response = act(assisting, event.pk, "report_part", reason="迟到的报告")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert assisting.get(f"/api/v1/events/{event.pk}").json()["allowed_actions"] == []
    assert _state(event) == before


def test_a_departments_list_reads_its_parts_in_one_go(as_user, joint, grid_a, upload):
    """allowed_actions asks may_act for every case of the page: the assignments come prefetched, so the number of
    statements does not grow with the number of cases."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, worker = as_user(joint["assisting"].username), joint["worker"]

    def count():
        with CaptureQueriesContext(connection) as ctx:
            items = client.get("/api/v1/events?queue=to_sign").json()["items"]
        assert all(a["action"] in ("sign_part", "report_part") for e in items for a in e["allowed_actions"])
        return len(items), len(ctx.captured_queries)

    count()  # warm-up: the first request of a session does more than the list
    few, statements = count()
    for i in range(3):
        report(worker, lon=grid_a.centroid_lon + 0.002 * (i + 1), lat=grid_a.centroid_lat, photos=[upload(worker)])
    more, statements_more = count()
    assert more == few + 3 and statements_more == statements
