"""Pruning the outbox: delivered messages older than GRIDGOV_OUTBOX_KEEP_DAYS go (in batches), by the
`outbox_prune` command and by `gridgov worker` at most once per --prune-every; undelivered ones never go."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gridgov.common.models import OutboxMessage
from gridgov.common.outbox import HANDLERS, outbox_prune

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_outbox")]


def message(*, delivered_days_ago=None, created_days_ago=0, attempts=0, topic="test.topic") -> int:
    now = timezone.now()
    row = OutboxMessage.objects.create(
        topic=topic, payload={}, attempts=attempts, last_error="Boom: down" if attempts else "",
        delivered_at=None if delivered_days_ago is None else now - dt.timedelta(days=delivered_days_ago),
        available_at=now - dt.timedelta(days=created_days_ago))
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=now - dt.timedelta(days=created_days_ago))
    return row.pk


@pytest.fixture
def mix(db):
    return {
        "old": [message(delivered_days_ago=d, created_days_ago=d) for d in (31, 45, 90, 400, 31)],
        "recent": [message(delivered_days_ago=d, created_days_ago=d) for d in (0, 1, 29)],
        "waiting_old": message(created_days_ago=200, topic="nobody.listens"),  # stays undelivered in worker runs
        "failing_old": message(created_days_ago=200, attempts=57, topic="nobody.listens"),
    }


def remaining() -> set[int]:
    return set(OutboxMessage.objects.values_list("id", flat=True))


def undelivered(mix) -> set[int]:
    return {mix["waiting_old"], mix["failing_old"]}


def test_prune_deletes_only_old_delivered_messages_in_batches(mix, settings):
    settings.GRIDGOV_OUTBOX_KEEP_DAYS = 30
    pruned = outbox_prune(batch=2)  # 5 old rows: three statements
    assert pruned.deleted == 5
    assert remaining() == set(mix["recent"]) | undelivered(mix)
    assert outbox_prune().deleted == 0


def test_undelivered_messages_are_never_pruned(mix):
    assert outbox_prune(keep_days=0).deleted == 5 + 3
    assert remaining() == undelivered(mix)
    failing = OutboxMessage.objects.get(pk=mix["failing_old"])
    assert failing.attempts == 57 and failing.last_error == "Boom: down"


def test_prune_command_dry_run_and_days(mix):
    out = io.StringIO()
    call_command("outbox_prune", "--dry-run", stdout=out)
    assert "would delete 5 delivered messages older than 30 days" in out.getvalue()
    assert len(remaining()) == 10
    out = io.StringIO()
    call_command("outbox_prune", "--days", "60", stdout=out)
    assert "deleted 2 delivered messages older than 60 days" in out.getvalue()
    assert len(remaining()) == 8
    call_command("outbox_prune", stdout=io.StringIO())
    assert remaining() == set(mix["recent"]) | undelivered(mix)
    with pytest.raises(CommandError):
        call_command("outbox_prune", "--days", "-1", stdout=io.StringIO())


def test_prune_follows_the_setting(mix, settings):
    settings.GRIDGOV_OUTBOX_KEEP_DAYS = 100
    out = io.StringIO()
    call_command("outbox_prune", stdout=out)
    assert "deleted 1 delivered" in out.getvalue() and len(remaining()) == 9


def old_delivered_each_delivery(payload):
    """A handler that, while the worker runs, leaves one more old delivered message behind."""
    message(delivered_days_ago=90, created_days_ago=90, topic="left.behind")


def test_the_worker_prunes_at_start_and_then_at_most_once_per_interval(mix, monkeypatch):
    monkeypatch.setitem(HANDLERS, "test.topic", old_delivered_each_delivery)
    trigger = message()  # delivered during the run: its handler leaves an old delivered row behind
    out = io.StringIO()
    call_command("worker", "--max-seconds", "0.6", "--idle-sleep", "0.05", "--worker-id", "w", stdout=out)
    assert "worker w: pruned 5 delivered messages older than 30 days" in out.getvalue()
    left = OutboxMessage.objects.filter(topic="left.behind")
    assert left.count() == 1  # not pruned again within the hour
    assert OutboxMessage.objects.get(pk=trigger).delivered_at is not None
    assert set(mix["recent"]) | undelivered(mix) <= remaining()

    trigger = message()
    out = io.StringIO()
    call_command("worker", "--max-seconds", "1.0", "--idle-sleep", "0.05", "--prune-every", "0.2",
                 "--worker-id", "w", stdout=out)
    assert left.count() == 0  # a short interval: pruned again during the run
    assert out.getvalue().count("pruned") >= 2
    assert undelivered(mix) <= remaining()


def test_the_worker_can_be_told_not_to_prune(mix):
    out = io.StringIO()
    call_command("worker", "--once", "--prune-every", "0", "--worker-id", "w", stdout=out)
    assert "pruned" not in out.getvalue() and len(remaining()) == 10


def test_the_worker_queues_each_hourly_job_once_an_hour_whoever_asks(db, monkeypatch):
    """A topic registered hourly gets one message per UTC hour, however many workers queue it."""
    import datetime as dt

    from gridgov.common import outbox

    seen = []
    monkeypatch.setattr(outbox, "HOURLY", set())
    monkeypatch.setattr(outbox, "HANDLERS", dict(outbox.HANDLERS))
    outbox.register("test.hourly", seen.append, hourly=True)
    at = dt.datetime(2027, 3, 1, 16, 30, tzinfo=dt.UTC)  # 00:30 on the 2nd in Asia/Shanghai
    assert outbox.outbox_put_hourly(now=at) == 1
    assert outbox.outbox_put_hourly(now=at + dt.timedelta(minutes=29)) == 0  # another worker, the same hour
    assert outbox.outbox_put_hourly(now=at + dt.timedelta(minutes=30)) == 1  # the next hour
    keys = sorted(OutboxMessage.objects.filter(topic="test.hourly").values_list("dedupe_key", flat=True))
    assert keys == ["test.hourly:2027-03-01T16", "test.hourly:2027-03-01T17"]
    out = io.StringIO()
    call_command("worker", "--once", "--prune-every", "0", "--worker-id", "w", stdout=out)
    assert "hourly jobs" not in out.getvalue() and len(seen) == 2  # --prune-every 0: none queued, both delivered
