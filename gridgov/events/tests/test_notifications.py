"""Notices to departments: dispatching (automatic or by hand) and supervising queue them with the move; the worker
sends them through the configured sender to the handlers' phones; logs never carry a full phone number."""

import io
import json
import logging

import pytest
from django.core.management import call_command
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.common.models import OutboxMessage
from gridgov.common.notify import LoggingSender, WeComWebhookSender, get_sender
from gridgov.common.outbox import outbox_deliver_once
from gridgov.events.services import Report, event_report, event_transition
from gridgov.events.tests.conftest import point_in
from gridgov.events.tests.test_hotline import LocalServer

pytestmark = pytest.mark.django_db


class RecordingSender:
    """The test's sender (GRIDGOV_NOTIFY_SENDER points here): keeps what would have been sent."""

    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        RecordingSender.sent.append((to, text))


class BrokenSender:
    def send(self, *, to: str, text: str) -> None:
        raise ConnectionError("SMS gateway unreachable")


@pytest.fixture
def recorder(settings):
    settings.GRIDGOV_NOTIFY_SENDER = "gridgov.events.tests.test_notifications.RecordingSender"
    RecordingSender.sent = []
    return RecordingSender.sent


def dispatched_case(grid, category="0401"):
    dispatcher = User.objects.get(username="street_dispatcher")
    lon, lat = point_in(grid)
    return event_report(actor=dispatcher, report=Report(category_code=category, description="楼上楼下漏水纠纷",
                                                        lon=lon, lat=lat, channel="dispatcher"))


def handlers_of(department_id) -> list[User]:
    return list(User.objects.filter(department_id=department_id, role="dept_handler", is_active=True)
                .exclude(phone="").order_by("id"))


def test_automatic_dispatch_queues_event_assigned_with_the_departments(grid_a):
    event = dispatched_case(grid_a)
    message = OutboxMessage.objects.get(topic="event.assigned", payload__event_id=event.pk)
    departments = set(event.assignments.filter(active=True).values_list("department_id", flat=True))
    assert message.payload == {"event_id": event.pk, "department_ids": message.payload["department_ids"]}
    assert set(message.payload["department_ids"]) == departments and len(departments) >= 2
    assert message.payload["department_ids"][0] == event.lead_department_id
    assert message.delivered_at is None  # sent later by the worker, never inside the request


def test_delivering_event_assigned_texts_each_departments_handlers(grid_a, recorder):
    event = dispatched_case(grid_a)
    assert outbox_deliver_once(worker_id="W").delivered == 1
    departments = list(event.assignments.filter(active=True).values_list("department_id", flat=True))
    phones = [u.phone for d in departments for u in handlers_of(d)]
    assert phones and sorted(to for to, _ in recorder) == sorted(phones)
    lead_phone = handlers_of(event.lead_department_id)[0].phone
    text = next(text for to, text in recorder if to == lead_phone)
    assert event.number in text and event.category.name in text and event.lead_department.name in text
    assert f"{timezone.localtime(event.deadline):%Y-%m-%d %H:%M}" in text  # Asia/Shanghai


def test_manual_dispatch_notifies_the_chosen_department(grid_a, recorder):
    from gridgov.accounts.models import Department

    event = dispatched_case(grid_a)
    OutboxMessage.objects.all().delete()
    handler = handlers_of(event.lead_department_id)[0]
    event = event_transition(actor=handler, event_id=event.pk, action="return", version=None, reason="非本单位职责")
    chosen = Department.objects.filter(kind="police", region__code__in=event.region_path.strip("/").split("/")) \
        .exclude(pk__in=[d for d in [event.lead_department_id] if d]).first()
    assert chosen is not None
    event_transition(actor=User.objects.get(username="street_dispatcher"), event_id=event.pk, action="dispatch",
                     version=None, data={"lead_department": chosen.pk})
    message = OutboxMessage.objects.get(topic="event.assigned")
    assert message.payload["department_ids"] == [chosen.pk]
    outbox_deliver_once(worker_id="W")
    assert [to for to, _ in recorder] == [u.phone for u in handlers_of(chosen.pk)]


def test_supervising_notifies_the_lead_department(grid_a, recorder):
    event = dispatched_case(grid_a)
    OutboxMessage.objects.all().delete()
    event_transition(actor=User.objects.get(username="street_dispatcher"), event_id=event.pk, action="supervise",
                     version=None, reason="超期风险，督办")
    message = OutboxMessage.objects.get()
    assert (message.topic, message.payload) == ("event.supervised", {"event_id": event.pk,
                                                                     "department_id": event.lead_department_id})
    outbox_deliver_once(worker_id="W")
    assert [to for to, _ in recorder] == [u.phone for u in handlers_of(event.lead_department_id)]
    assert all(event.number in text and "督办" in text for _, text in recorder)


def test_a_failing_sender_leaves_the_notice_queued_for_retry(grid_a, settings):
    settings.GRIDGOV_NOTIFY_SENDER = "gridgov.events.tests.test_notifications.BrokenSender"
    event = dispatched_case(grid_a)
    assert outbox_deliver_once(worker_id="W").failed == 1
    message = OutboxMessage.objects.get(topic="event.assigned", payload__event_id=event.pk)
    assert message.delivered_at is None and message.attempts == 1 and "ConnectionError" in message.last_error


def test_logs_and_worker_output_never_show_a_full_phone_number(grid_a, caplog, settings):
    settings.GRIDGOV_NOTIFY_SENDER = "gridgov.common.notify.LoggingSender"
    event = dispatched_case(grid_a)
    phones = [u.phone for u in handlers_of(event.lead_department_id)]
    out = io.StringIO()
    with caplog.at_level(logging.DEBUG):
        call_command("worker", "--once", stdout=out)
    assert OutboxMessage.objects.get(topic="event.assigned", payload__event_id=event.pk).delivered_at is not None
    logged = caplog.text + out.getvalue()
    assert f"{phones[0][:3]}****{phones[0][-4:]}" in logged  # it did log the notice, masked
    for phone in phones:
        assert phone not in logged


def test_the_sender_is_chosen_by_setting(settings):
    assert isinstance(get_sender(), LoggingSender)
    settings.GRIDGOV_NOTIFY_SENDER = "gridgov.events.tests.test_notifications.RecordingSender"
    assert isinstance(get_sender(), RecordingSender)
    settings.GRIDGOV_NOTIFY_SENDER = "gridgov.nowhere.Sender"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        get_sender()


def test_wecom_webhook_sender_mentions_the_recipient(settings):
    server = LocalServer()
    try:
        settings.GRIDGOV_WECOM_WEBHOOK_URL = server.url
        WeComWebhookSender().send(to="13812345678", text="【网格化】测试")
        body = json.loads(server.requests[0][1])
        assert body == {"msgtype": "text", "text": {"content": "【网格化】测试",
                                                    "mentioned_mobile_list": ["13812345678"]}}
        server.reply = b'{"errcode":93000,"errmsg":"invalid webhook url"}'  # WeCom refuses with HTTP 200
        with pytest.raises(RuntimeError, match="93000"):
            WeComWebhookSender().send(to="13812345678", text="【网格化】测试")
    finally:
        server.close()
