"""The outbox in the admin: the system administrator sees the queue read-only, filters it by state and topic,
searches it, and makes failing messages due now ("retry now"); nobody edits a payload; other roles are refused."""

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.common.models import AuditLog, OutboxMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_outbox")]

LIST = "/admin/common/outboxmessage/"


def message(topic="event.assigned", *, attempts=0, delivered=False, claimed=False, error="", due_in=0, **payload):
    now = timezone.now()
    return OutboxMessage.objects.create(
        topic=topic, payload=payload or {"event_id": 1}, attempts=attempts, last_error=error,
        available_at=now + dt.timedelta(seconds=due_in), delivered_at=now if delivered else None,
        claimed_by="host:1" if claimed else "", claimed_until=now + dt.timedelta(seconds=60) if claimed else None)


@pytest.fixture
def queue(db):
    return {
        "waiting": message(event_id=1),
        "failing": message("hotline.callback", attempts=4, error="URLError: connection refused", due_in=600,
                           event_id=2),
        "claimed": message(attempts=1, claimed=True, event_id=3),
        "delivered": message("event.supervised", attempts=1, delivered=True, event_id=4),
    }


def listed(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def test_the_system_administrator_sees_the_queue_with_states(as_user, queue):
    page = as_user("sysadmin").get(LIST)
    assert page.status_code == 200
    assert listed(page) == {m.pk for m in queue.values()}
    html = page.content.decode()
    assert "URLError: connection refused" in html and "hotline.callback" in html


@pytest.mark.parametrize("state", ["waiting", "failing", "claimed", "delivered"])
def test_filter_by_state(as_user, queue, state):
    assert listed(as_user("sysadmin").get(LIST, {"state": state})) == {queue[state].pk}


def test_filter_by_topic_and_search(as_user, queue):
    admin = as_user("sysadmin")
    assert listed(admin.get(LIST, {"topic": "hotline.callback"})) == {queue["failing"].pk}
    assert listed(admin.get(LIST, {"q": "connection refused"})) == {queue["failing"].pk}
    assert listed(admin.get(LIST, {"q": str(queue["claimed"].pk)})) >= {queue["claimed"].pk}
    assert listed(admin.get(LIST, {"q": "event.supervised"})) == {queue["delivered"].pk}


def test_it_is_read_only(as_user, queue):
    admin = as_user("sysadmin")
    failing = queue["failing"]
    page = admin.get(f"{LIST}{failing.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and "event_id" in html and 'name="payload"' not in html  # shown, not editable
    assert admin.get(f"{LIST}add/").status_code == 403
    assert admin.post(f"{LIST}{failing.pk}/change/", {"payload": '{"event_id": 99}', "topic": "x"}).status_code == 403
    assert admin.post(f"{LIST}{failing.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.post(LIST, {"action": "delete_selected", "_selected_action": [failing.pk]}).status_code in (200, 302)
    failing.refresh_from_db()
    assert failing.payload == {"event_id": 2} and failing.topic == "hotline.callback"


def test_retry_now_makes_failing_messages_due_and_leaves_the_rest(as_user, queue):
    admin = as_user("sysadmin")
    before = timezone.now()
    response = admin.post(LIST, {"action": "retry_now", "_selected_action": [m.pk for m in queue.values()]},
                          follow=True)
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert len(texts) == 2 and all("2" in t for t in texts)  # 2 reset, 2 left alone
    failing, waiting = OutboxMessage.objects.get(pk=queue["failing"].pk), OutboxMessage.objects.get(
        pk=queue["waiting"].pk)
    assert failing.attempts == 0 and before <= failing.available_at <= timezone.now()
    assert failing.payload == {"event_id": 2} and failing.delivered_at is None
    assert waiting.attempts == 0
    claimed = OutboxMessage.objects.get(pk=queue["claimed"].pk)
    assert claimed.claimed_by == "host:1" and claimed.attempts == 1  # a worker holds it: untouched
    delivered = OutboxMessage.objects.get(pk=queue["delivered"].pk)
    assert delivered.delivered_at is not None and delivered.attempts == 1
    audit = AuditLog.objects.get(action="outbox.retry")
    assert audit.actor.username == "sysadmin" and audit.detail["count"] == 2
    assert set(audit.detail["ids"]) == {queue["failing"].pk, queue["waiting"].pk}
    # and the worker now delivers it at once
    from gridgov.common.outbox import outbox_deliver_once

    seen = []
    outbox_deliver_once(worker_id="W", handlers={"hotline.callback": seen.append, "event.assigned": seen.append})
    assert {"event_id": 2} in seen


@pytest.mark.parametrize("username", ["secadmin", "auditadmin"])
def test_other_administrators_are_refused(as_user, queue, username):
    other = as_user(username)
    assert other.get(LIST).status_code == 403
    assert other.get(f"{LIST}{queue['failing'].pk}/change/").status_code == 403
    assert other.post(LIST, {"action": "retry_now", "_selected_action": [queue["failing"].pk]}).status_code == 403
    assert OutboxMessage.objects.get(pk=queue["failing"].pk).attempts == 4
    assert not AuditLog.objects.filter(action="outbox.retry").exists()


@pytest.mark.parametrize("username", ["dispatcher", "anonymous"])
def test_staff_and_anonymous_are_sent_to_the_admin_login(as_user, queue, username):
    other = as_user(username)
    response = other.get(LIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert other.post(LIST, {"action": "retry_now", "_selected_action": [queue["failing"].pk]}).status_code == 302
    assert OutboxMessage.objects.get(pk=queue["failing"].pk).attempts == 4
