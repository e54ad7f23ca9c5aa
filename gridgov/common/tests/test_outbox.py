"""The transactional outbox: written with the change or not at all, one claimer at a time, leases that run out,
retries with backoff, and the `worker` command (SQLite and PostgreSQL)."""

import datetime as dt
import io
import os
import signal
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from gridgov.common.models import OutboxMessage
from gridgov.common.outbox import (
    HANDLERS,
    backoff_seconds,
    outbox_claim,
    outbox_deliver_once,
    outbox_put,
)

pytestmark = pytest.mark.usefixtures("empty_outbox")


def put(n: int, topic: str = "test.topic") -> list[int]:
    return [outbox_put(topic=topic, payload={"n": i}).pk for i in range(n)]


def expire_leases():
    """Move every live lease into the past, as if the lease time had gone by."""
    OutboxMessage.objects.filter(claimed_until__isnull=False).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1))


def make_due():
    OutboxMessage.objects.update(available_at=timezone.now() - dt.timedelta(seconds=1))


@pytest.mark.django_db
def test_a_message_exists_only_if_its_transaction_commits():
    with transaction.atomic():
        outbox_put(topic="test.topic", payload={"n": "kept"})
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_put(topic="test.topic", payload={"n": "rolled back"})
        raise RuntimeError("the change failed")
    assert list(OutboxMessage.objects.values_list("payload", flat=True)) == [{"n": "kept"}]


@pytest.mark.django_db
def test_a_service_rolled_back_leaves_no_notice():
    """A real service: an intake that fails after dispatching (here: the caller's transaction aborts) leaves no
    event.assigned behind, though it had been queued inside the transaction."""
    from gridgov.accounts.models import User
    from gridgov.events.models import Event
    from gridgov.events.services import Report, event_report

    dispatcher = User.objects.get(username="street_dispatcher")
    grid = User.objects.get(username="worker_a").grids.get()
    events_before = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        event = event_report(actor=dispatcher, report=Report(category_code="0401", description="邻里纠纷",
                                                             lon=grid.centroid_lon, lat=grid.centroid_lat,
                                                             channel="dispatcher"))
        assert event.status == "dispatched"
        assert OutboxMessage.objects.filter(topic="event.assigned", payload__event_id=event.pk).exists()
        raise RuntimeError("something after the intake failed")
    assert Event.objects.count() == events_before
    assert not OutboxMessage.objects.filter(topic="event.assigned").exists()


@pytest.mark.django_db
def test_a_dedupe_key_queues_one_message():
    first = outbox_put(topic="test.topic", payload={"n": 1}, dedupe_key="k-1")
    again = outbox_put(topic="test.topic", payload={"n": 2}, dedupe_key="k-1")
    assert again.pk == first.pk and again.payload == {"n": 1}
    assert OutboxMessage.objects.filter(dedupe_key="k-1").count() == 1


@pytest.mark.django_db
def test_claimers_never_hold_the_same_message_while_a_lease_lives():
    ids = put(5)
    a = outbox_claim(worker_id="A", batch=3, lease_seconds=60)
    b = outbox_claim(worker_id="B", batch=10, lease_seconds=60)
    c = outbox_claim(worker_id="C", batch=10, lease_seconds=60)
    assert [m.pk for m in a] == ids[:3]  # oldest first
    assert [m.pk for m in b] == ids[3:]
    assert c == []
    assert set(OutboxMessage.objects.values_list("claimed_by", flat=True)) == {"A", "B"}


@pytest.mark.django_db
def test_an_expired_lease_lets_another_worker_deliver_again():
    """Worker A claims, then dies before delivering (kill -9): once its lease runs out, B delivers."""
    [message_id] = put(1)
    seen = []
    assert [m.pk for m in outbox_claim(worker_id="A", batch=10, lease_seconds=60)] == [message_id]
    # … A is gone. While its lease lives nobody else takes the message:
    assert outbox_deliver_once(worker_id="B", handlers={"test.topic": seen.append}).claimed == 0
    expire_leases()
    outcome = outbox_deliver_once(worker_id="B", handlers={"test.topic": seen.append})
    assert (outcome.claimed, outcome.delivered) == (1, 1)
    assert seen == [{"n": 0}]
    message = OutboxMessage.objects.get(pk=message_id)
    assert message.delivered_at is not None and message.claimed_by == "" and message.attempts == 1
    assert outbox_deliver_once(worker_id="C", handlers={"test.topic": seen.append}).claimed == 0


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_leaves_the_message_alone():
    put(2)
    claimed = outbox_claim(worker_id="A", batch=10, lease_seconds=60)
    expire_leases()
    outbox_claim(worker_id="B", batch=1, lease_seconds=60)  # B takes the first one over
    ran = []
    # A goes on with its (stale) batch: it may deliver only what is still its own
    from gridgov.common import outbox

    for message in claimed:
        if outbox._renew(message, worker_id="A", lease_seconds=60):
            ran.append(message.pk)
    assert ran == [claimed[1].pk]


@pytest.mark.django_db
def test_a_failing_handler_is_retried_with_exponential_backoff(settings):
    settings.GRIDGOV_OUTBOX_BACKOFF_BASE_SECONDS = 10
    settings.GRIDGOV_OUTBOX_BACKOFF_MAX_SECONDS = 3600
    [message_id] = put(1)
    calls = []

    def flaky(payload):
        calls.append(payload)
        if len(calls) < 3:
            raise ConnectionError("the far end is down")

    handlers = {"test.topic": flaky}
    start = timezone.now()
    outcome = outbox_deliver_once(worker_id="W", handlers=handlers)
    assert (outcome.delivered, outcome.failed) == (0, 1)
    message = OutboxMessage.objects.get(pk=message_id)
    assert message.attempts == 1 and message.delivered_at is None and message.claimed_by == ""
    assert message.last_error == "ConnectionError: the far end is down"
    assert start + dt.timedelta(seconds=10) <= message.available_at <= timezone.now() + dt.timedelta(seconds=10)
    assert outbox_deliver_once(worker_id="W", handlers=handlers).claimed == 0  # not due yet

    make_due()
    before = timezone.now()
    outbox_deliver_once(worker_id="W", handlers=handlers)
    message.refresh_from_db()
    assert message.attempts == 2 and message.available_at >= before + dt.timedelta(seconds=20)

    make_due()
    assert outbox_deliver_once(worker_id="W", handlers=handlers).delivered == 1
    message.refresh_from_db()
    assert message.attempts == 3 and message.delivered_at is not None and message.last_error == ""
    assert len(calls) == 3


def test_backoff_doubles_and_is_capped(settings):
    settings.GRIDGOV_OUTBOX_BACKOFF_BASE_SECONDS = 10
    settings.GRIDGOV_OUTBOX_BACKOFF_MAX_SECONDS = 3600
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff_seconds(30) == 3600


@pytest.mark.django_db
def test_a_topic_without_a_handler_stays_queued_with_the_reason():
    [message_id] = put(1, topic="nobody.listens")
    assert outbox_deliver_once(worker_id="W", handlers={}).failed == 1
    message = OutboxMessage.objects.get(pk=message_id)
    assert message.delivered_at is None and "nobody.listens" in message.last_error


@pytest.mark.django_db
def test_stopping_releases_the_rest_of_the_batch():
    put(3)
    seen = []
    outcome = outbox_deliver_once(worker_id="W", handlers={"test.topic": seen.append},
                                  stop=lambda: len(seen) >= 1)
    assert (outcome.delivered, outcome.skipped) == (1, 2)
    assert OutboxMessage.objects.filter(delivered_at__isnull=True, claimed_by="").count() == 2
    assert len(outbox_claim(worker_id="other", batch=10)) == 2  # at once, not after the lease


@pytest.mark.django_db
def test_worker_command_once_delivers_and_logs_no_payload(monkeypatch):
    seen = []
    monkeypatch.setitem(HANDLERS, "test.topic", seen.append)
    outbox_put(topic="test.topic", payload={"phone": "13812345678"})
    out = io.StringIO()
    call_command("worker", "--once", "--worker-id", "test-worker", "--prune-every", "0", stdout=out)  # no hourly jobs
    assert seen == [{"phone": "13812345678"}]
    assert OutboxMessage.objects.get().delivered_at is not None
    assert "worker test-worker: claimed 1, delivered 1, failed 0" in out.getvalue()
    assert "13812345678" not in out.getvalue()


@pytest.mark.django_db
def test_worker_command_runs_until_max_seconds(monkeypatch):
    seen = []
    monkeypatch.setitem(HANDLERS, "test.topic", seen.append)
    put(3)
    out = io.StringIO()
    call_command("worker", "--max-seconds", "0.3", "--batch", "2", "--idle-sleep", "0.05", stdout=out)
    assert len(seen) == 3  # two batches in one run
    assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() == 0
    assert out.getvalue().rstrip().endswith("stopped")


@pytest.mark.django_db
def test_sigterm_stops_the_worker_gracefully(monkeypatch):
    """SIGTERM while a message is in hand: that one is finished, the rest of the batch is released, the command
    returns normally (it is not killed half-way)."""
    seen = []

    def handler(payload):
        seen.append(payload)
        os.kill(os.getpid(), signal.SIGTERM)  # systemd stops the service now

    monkeypatch.setitem(HANDLERS, "test.topic", handler)
    put(3)
    out = io.StringIO()
    previous = signal.getsignal(signal.SIGTERM)
    call_command("worker", "--max-seconds", "20", "--worker-id", "w", "--prune-every", "0", stdout=out)
    assert signal.getsignal(signal.SIGTERM) == previous  # the command put the old handler back
    assert seen == [{"n": 0}]
    assert OutboxMessage.objects.filter(delivered_at__isnull=False).count() == 1
    assert OutboxMessage.objects.filter(delivered_at__isnull=True, claimed_by="").count() == 2  # released at once
    assert "claimed 3, delivered 1, failed 0, skipped 2" in out.getvalue()
    assert out.getvalue().rstrip().endswith("stopped")


# --- real concurrency: committed rows, one connection per thread ----------------------------------------------------
def test_concurrent_claimers_in_threads_split_the_messages(transactional_db):
    with transaction.atomic():
        ids = set(put(120))
    barrier = threading.Barrier(4)
    taken: dict[str, list[int]] = {}
    errors = []

    def work(name):
        mine = taken.setdefault(name, [])
        try:
            barrier.wait(timeout=10)
            while batch := outbox_claim(worker_id=name, batch=7, lease_seconds=60):
                mine.extend(m.pk for m in batch)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    everything = [pk for mine in taken.values() for pk in mine]
    assert len(everything) == len(set(everything)) == 120  # nobody got a message twice, none was left
    assert set(everything) == ids
    for name, mine in taken.items():  # and the table agrees on who holds what
        assert set(OutboxMessage.objects.filter(claimed_by=name).values_list("id", flat=True)) == set(mine)
