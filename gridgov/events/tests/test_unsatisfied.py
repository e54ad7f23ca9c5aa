"""不满意 leads somewhere: an unsatisfied rating puts the case in the dispatcher's 不满意 queue with the comment; a
dispatcher reopens it for the lead department to rework (counted, reason required) or closes it with a reason."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.common.models import OutboxMessage
from gridgov.events.indicators import indicator_report
from gridgov.events.models import Event
from gridgov.events.services import Report, event_report, event_transition
from gridgov.events.tests.test_intake_and_workflow import act

pytestmark = pytest.mark.django_db


def _closed_case(grid, *, channel="dispatcher", self_resolved=False) -> Event:
    """A case handled by its lead department and verified: ready to be rated."""
    dispatcher = User.objects.get(username="street_dispatcher")
    event = event_report(actor=dispatcher, report=Report(
        category_code="0401" if not self_resolved else "0301", description="邻里噪音纠纷", lon=grid.centroid_lon,
        lat=grid.centroid_lat, channel=channel, photo_count=2, after_photo_count=int(self_resolved),
        self_resolved=self_resolved))
    if not self_resolved:
        handler = User.objects.filter(department=event.lead_department, role="dept_handler").first()
        event_transition(actor=handler, event_id=event.pk, action="feedback", version=None, reason="已上门调解",
                         data={"photo_count": 1})
        event = event_transition(actor=User.objects.get(username="worker_a"), event_id=event.pk, action="verify",
                                 version=None)
    assert event.status == "closed"
    return event


def _queue(client, name="unsatisfied") -> list[int]:
    return [e["id"] for e in client.get(f"/api/v1/events?queue={name}").json()["items"]]


def test_an_unsatisfied_rating_goes_to_the_dispatchers_queue_with_the_comment(as_user, grid_a):
    event = _closed_case(grid_a)
    dispatcher = as_user("street_dispatcher")
    before = dispatcher.get("/api/v1/events/queues").json()["unsatisfied"]
    rated = act(dispatcher, event.pk, "rate", version=event.version, satisfaction="unsatisfied",
                comment="噪音依旧，没人来看过")
    assert rated.status_code == 200, rated.content
    body = rated.json()
    assert body["status"] == "unsatisfied" and body["satisfaction_comment"] == "噪音依旧，没人来看过"
    assert [a["action"] for a in body["allowed_actions"]] == ["reopen", "close_unsatisfied"]
    assert dispatcher.get("/api/v1/events/queues").json()["unsatisfied"] == before + 1
    assert event.pk in _queue(dispatcher) and event.pk not in _queue(dispatcher, "to_rate")
    page = dispatcher.get("/cases/?queue=unsatisfied").content.decode()
    assert 'data-queue="unsatisfied"' in page and event.number in page and "噪音依旧，没人来看过" in page
    detail = dispatcher.get(f"/cases/{event.pk}/").content.decode()
    assert 'id="unsatisfied-note"' in detail and 'data-action="reopen"' in detail
    assert 'data-action="close_unsatisfied"' in detail
    assert 'data-queue="unsatisfied"' in dispatcher.get("/cases/").content.decode()  # a tab of the workbench


def test_a_good_rating_does_not(as_user, grid_a):
    event = _closed_case(grid_a)
    dispatcher = as_user("street_dispatcher")
    assert act(dispatcher, event.pk, "rate", satisfaction="basic").json()["status"] == "rated"
    assert event.pk not in _queue(dispatcher)


def test_reopen_sends_it_back_to_the_lead_department_with_a_new_deadline(as_user, grid_a, upload):
    event = _closed_case(grid_a)
    dispatcher = as_user("street_dispatcher")
    act(dispatcher, event.pk, "rate", satisfaction="unsatisfied", comment="没解决")
    no_reason = act(dispatcher, event.pk, "reopen")
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    assert act(as_user("worker_a"), event.pk, "reopen", reason="x").status_code == 403  # a dispatcher decides
    notices = OutboxMessage.objects.filter(topic="event.assigned").count()
    later = timezone.now()
    reopened = act(dispatcher, event.pk, "reopen", reason="群众反映问题未解决，请重新处置")
    assert reopened.status_code == 200, reopened.content
    body = reopened.json()
    assert body["status"] == "handling" and body["lead_department"]["id"] == event.lead_department_id
    assert body["rework_count"] == event.rework_count + 1 and body["satisfaction"] == ""
    fresh = Event.objects.get(pk=event.pk)
    assert fresh.closed_at is None and fresh.deadline > later and fresh.dispatched_at >= later
    assert OutboxMessage.objects.filter(topic="event.assigned").count() == notices + 1  # the department is told
    assert event.pk not in _queue(dispatcher)
    timeline = dispatcher.get(f"/api/v1/events/{event.pk}").json()["timeline"]
    assert [(t["action"], t["reason"]) for t in timeline[-2:]] == [
        ("rate", ""), ("reopen", "群众反映问题未解决，请重新处置")]
    assert timeline[-2]["data"]["comment"] == "没解决"  # the rating stays on record
    handler = as_user(User.objects.filter(department=event.lead_department, role="dept_handler").first().username)
    assert event.pk in _queue(handler, "handling")
    act(handler, event.pk, "feedback", reason="再次上门，已协调解决", photos=[upload(handler)])
    act(as_user("worker_a"), event.pk, "verify")
    again = act(dispatcher, event.pk, "rate", satisfaction="satisfied")
    assert again.json()["status"] == "rated"


def test_close_with_a_reason_keeps_the_rating_and_leaves_the_queue(as_user, grid_a):
    event = _closed_case(grid_a)
    dispatcher = as_user("street_dispatcher")
    act(dispatcher, event.pk, "rate", satisfaction="unsatisfied", comment="态度不好")
    assert act(dispatcher, event.pk, "close_unsatisfied", reason=" ").json()["field"] == "reason"
    closed = act(dispatcher, event.pk, "close_unsatisfied", reason="已按规定办结，诉求超出政策范围，已解释")
    assert closed.status_code == 200
    assert closed.json()["status"] == "rated" and closed.json()["satisfaction"] == "unsatisfied"
    assert event.pk not in _queue(dispatcher)
    last = Event.objects.get(pk=event.pk).transitions.last()
    assert (last.action, last.reason) == ("close_unsatisfied", "已按规定办结，诉求超出政策范围，已解释")
    assert act(dispatcher, event.pk, "archive").json()["status"] == "archived"


def test_a_citizens_unsatisfied_rating_reaches_the_queue_too(as_user, grid_a):
    client = Client()
    response = client.post(f"/q/{grid_a.code}/", {"category": "E101", "description": "楼下垃圾桶满了没人清"})
    event = Event.objects.latest("id")
    handler = User.objects.filter(department=event.lead_department, role="dept_handler").first()
    event_transition(actor=handler, event_id=event.pk, action="feedback", version=None, data={"photo_count": 1})
    event_transition(actor=User.objects.get(username="worker_a"), event_id=event.pk, action="verify", version=None)
    client.post(response["Location"], {"satisfaction": "unsatisfied", "comment": "只清了一半"})
    event.refresh_from_db()
    assert event.status == "unsatisfied" and event.satisfaction_comment == "只清了一半"
    assert event.pk in _queue(as_user("street_dispatcher"))
    assert event.pk in _queue(as_user("community"))  # 小事不出村: the community decides too


def test_a_case_no_department_handled_can_only_be_closed(as_user, grid_a):
    event = _closed_case(grid_a, channel="worker", self_resolved=True)
    dispatcher = as_user("street_dispatcher")
    act(dispatcher, event.pk, "rate", satisfaction="unsatisfied")
    refused = act(dispatcher, event.pk, "reopen", reason="重新处置")
    assert refused.status_code == 422 and refused.json()["field"] == "action"
    assert Event.objects.get(pk=event.pk).status == "unsatisfied"
    assert act(dispatcher, event.pk, "close_unsatisfied", reason="已现场解释").json()["status"] == "rated"


def test_indicators_count_each_rating_as_it_was_and_a_reopen_as_rework(as_user, user, grid_a):
    event = _closed_case(grid_a)
    dispatcher = user("street_dispatcher")

    def totals():
        today = timezone.localdate()
        report = indicator_report(user=dispatcher, group="region", date_from=today - dt.timedelta(days=1),
                                  date_to=today)
        return {k: report["total"][k] for k in ("rated", "satisfied", "rework")}

    before = totals()
    event_transition(actor=dispatcher, event_id=event.pk, action="rate", version=None,
                     data={"satisfaction": "unsatisfied"})
    event_transition(actor=dispatcher, event_id=event.pk, action="reopen", version=None, reason="重办")
    handler = User.objects.filter(department=event.lead_department, role="dept_handler").first()
    event_transition(actor=handler, event_id=event.pk, action="feedback", version=None, data={"photo_count": 1})
    event_transition(actor=user("worker_a"), event_id=event.pk, action="verify", version=None)
    event_transition(actor=dispatcher, event_id=event.pk, action="rate", version=None,
                     data={"satisfaction": "satisfied"})
    after = totals()
    assert (after["rated"] - before["rated"], after["satisfied"] - before["satisfied"],
            after["rework"] - before["rework"]) == (2, 1, 1)
