"""One background-job path: handlers registered by the owning apps, bulk queueing, and the lease a long job renews
(the fencing check that keeps a worker thought dead from writing), on SQLite and PostgreSQL."""

import ast
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from gridgov.common import outbox
from gridgov.common.models import AuditLog, OutboxMessage
from gridgov.common.outbox import (
    Message,
    outbox_deliver_once,
    outbox_heartbeat,
    outbox_put,
    outbox_put_many,
    register,
    registered_topics,
)

pytestmark = pytest.mark.usefixtures("empty_outbox")


@pytest.fixture
def handlers(monkeypatch):
    """An empty registry for the test (the apps' own registrations are put back afterwards)."""
    fresh: dict = {}
    monkeypatch.setattr(outbox, "HANDLERS", fresh)
    return fresh


# ======================================================================================================================
# register(): each owning app, once, in AppConfig.ready
# ======================================================================================================================
def test_the_apps_register_their_topics_when_django_starts():
    assert {"event.assigned", "event.supervised", "hotline.callback", "fieldwork.patrol_day",
            "registry.import"} <= set(registered_topics())


def test_one_handler_per_topic(handlers):
    def first(payload):
        pass

    def second(payload):
        pass

    register("test.topic", first)
    register("test.topic", first)  # ready() running twice is harmless
    with pytest.raises(ImproperlyConfigured, match="already has a handler"):
        register("test.topic", second)
    assert handlers == {"test.topic": first}
    for topic in ("", "x" * 65, None):
        with pytest.raises(ImproperlyConfigured):
            register(topic, first)
    with pytest.raises(ImproperlyConfigured, match="not callable"):
        register("other.topic", "gridgov.somewhere.handler")
    assert list(handlers) == ["test.topic"]


def test_common_imports_no_app_to_find_a_handler():
    """The layer rule for the outbox: gridgov.common (outbox, worker command) never imports an app above it."""
    root = Path(__file__).resolve().parents[1]
    upward = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            upward += [f"{path.relative_to(root)}: {n}" for n in names
                       if n.startswith("gridgov.") and not n.startswith("gridgov.common")]
    assert upward == []


# ======================================================================================================================
# A topic nobody handles: keeps failing, with the reason, visible to the administrator
# ======================================================================================================================
@pytest.mark.django_db
def test_a_topic_without_a_handler_keeps_failing_visibly_until_one_is_registered(handlers, as_user):
    message = outbox_put(topic="nobody.listens", payload={"n": 1})
    for attempt in (1, 2):
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
        assert outbox_deliver_once(worker_id="W").failed == 1
        message.refresh_from_db()
        assert message.attempts == attempt and message.delivered_at is None and message.claimed_by == ""
        assert message.last_error.startswith("NoHandler: no handler registered for topic 'nobody.listens'")

    page = as_user("sysadmin").get("/admin/common/outboxmessage/", {"state": "failing"})
    assert [m.pk for m in page.context["cl"].result_list] == [message.pk]
    assert "no handler registered for topic" in page.content.decode()

    seen = []
    register("nobody.listens", seen.append)  # the app that owns it is installed
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    assert outbox_deliver_once(worker_id="W").delivered == 1
    assert seen == [{"n": 1}]


@pytest.mark.django_db
def test_the_worker_names_waiting_topics_without_a_handler_when_it_starts(handlers):
    register("test.topic", lambda payload: None)
    outbox_put(topic="test.topic", payload={})
    outbox_put(topic="nobody.listens", payload={})
    out, err = io.StringIO(), io.StringIO()
    call_command("worker", "--once", "--worker-id", "w", "--prune-every", "0", stdout=out, stderr=err)
    assert "topics: test.topic" in out.getvalue()
    assert "messages wait for topics without a handler: nobody.listens" in err.getvalue()
    assert "claimed 2, delivered 1, failed 1" in out.getvalue()


# ======================================================================================================================
# outbox_put_many: one INSERT, dedupe keys honoured
# ======================================================================================================================
@pytest.mark.django_db
def test_put_many_writes_every_message_in_one_statement(django_assert_num_queries):
    due = timezone.now() + dt.timedelta(minutes=5)
    messages = [Message(topic="test.topic", payload={"n": i}, available_at=due if i % 2 else None)
                for i in range(500)]
    before = timezone.now()
    with django_assert_num_queries(1):
        assert outbox_put_many(messages) == 500
    rows = list(OutboxMessage.objects.order_by("id"))
    assert [m.payload["n"] for m in rows] == list(range(500))
    assert {(m.topic, m.attempts, m.last_error, m.claimed_by, m.delivered_at, m.dedupe_key) for m in rows} == {
        ("test.topic", 0, "", "", None, None)}
    assert all(m.available_at == due for m in rows[1::2])
    assert all(before <= m.available_at <= timezone.now() and m.created_at >= before for m in rows[::2])


@pytest.mark.django_db
def test_put_many_honours_dedupe_keys_already_queued_and_repeated():
    outbox_put(topic="test.topic", payload={"v": "first"}, dedupe_key="k-1")
    written = outbox_put_many([
        Message(topic="test.topic", payload={"v": "again"}, dedupe_key="k-1"),  # queued already: kept as it was
        Message(topic="test.topic", payload={"v": "new"}, dedupe_key="k-2"),
        Message(topic="test.topic", payload={"v": "repeat"}, dedupe_key="k-2"),  # twice in one call: the first wins
        Message(topic="test.topic", payload={"v": "plain"}),
        Message(topic="test.topic", payload={"v": "plain"}),  # no key: both are queued
    ])
    assert written == 3
    assert dict(OutboxMessage.objects.exclude(dedupe_key=None).values_list("dedupe_key", "payload__v")) == {
        "k-1": "first", "k-2": "new"}
    assert OutboxMessage.objects.filter(dedupe_key=None, payload__v="plain").count() == 2
    assert outbox_put_many([Message(topic="test.topic", payload={}, dedupe_key="k-2")]) == 0
    assert outbox_put_many([]) == 0


@pytest.mark.django_db
def test_put_many_beyond_the_parameter_limit_splits_the_insert(monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(outbox, "_rows_per_statement", lambda params_per_row: 4)
    messages = [Message(topic="test.topic", payload={"n": i}, dedupe_key=f"k-{i % 7}") for i in range(10)]
    with django_assert_num_queries(4):  # a savepoint, two INSERTs of up to 4 rows, the release
        assert outbox_put_many(messages) == 7
    assert sorted(OutboxMessage.objects.values_list("payload__n", flat=True)) == list(range(7))


@pytest.mark.django_db
def test_put_many_refuses_bad_input_and_writes_nothing():
    good = Message(topic="test.topic", payload={"n": 1})
    for bad, reason in [(Message(topic="", payload={}), "message 1: topic"),
                        (Message(topic="t" * 65, payload={}), "message 1: topic"),
                        (Message(topic="test.topic", payload=["not", "a", "dict"]), "message 1: payload"),
                        (Message(topic="test.topic", payload={}, dedupe_key="k" * 201), "message 1: dedupe_key"),
                        ({"topic": "test.topic", "payload": {}}, "message 1: a gridgov.common.outbox.Message")]:
        with pytest.raises(ValueError, match=reason):
            outbox_put_many([good, bad])
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_put_many_is_part_of_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_put_many([Message(topic="test.topic", payload={"n": i}, dedupe_key=f"k-{i}") for i in range(3)])
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert outbox_put_many([Message(topic="test.topic", payload={}, dedupe_key="k-0")]) == 1  # the key is free


# ======================================================================================================================
# outbox_heartbeat: the lease a long job renews, and its fencing check
# ======================================================================================================================
@pytest.mark.django_db
def test_a_long_handler_renews_its_lease_with_each_piece_of_work(handlers):
    leases = []

    def long_job(payload):
        for _piece in range(3):
            with transaction.atomic():
                outbox_heartbeat()
                leases.append(OutboxMessage.objects.get(topic="long.job").claimed_until)

    register("long.job", long_job)
    outbox_put(topic="long.job", payload={})
    claimed_at = timezone.now()
    assert outbox_deliver_once(worker_id="W", lease_seconds=30).delivered == 1
    assert len(leases) == 3 and leases == sorted(leases)
    assert all(lease >= claimed_at + dt.timedelta(seconds=30) for lease in leases)


@pytest.mark.django_db
def test_a_worker_whose_lease_was_taken_over_writes_nothing_more(handlers):
    """Worker A is slow (thought dead); its lease ran out and B claimed the message. A's next piece of work checks the
    lease in the piece's transaction: LeaseLost, the piece is rolled back, the message stays B's, no failure counted."""
    pieces = []

    def long_job(payload):
        with transaction.atomic():
            outbox_heartbeat()
            pieces.append(AuditLog.objects.create(action="piece.1").pk)
        OutboxMessage.objects.filter(topic="long.job").update(  # meanwhile: A's lease ran out and B claimed it
            claimed_by="B", claimed_until=timezone.now() + dt.timedelta(seconds=60))
        with transaction.atomic():
            AuditLog.objects.create(action="piece.2")
            outbox_heartbeat()  # the fencing check before the commit
            pieces.append("never here")

    register("long.job", long_job)
    message = outbox_put(topic="long.job", payload={})
    outcome = outbox_deliver_once(worker_id="A")
    assert (outcome.delivered, outcome.failed, outcome.skipped) == (0, 0, 1)
    assert AuditLog.objects.filter(action="piece.1").exists() and not AuditLog.objects.filter(action="piece.2").exists()
    assert len(pieces) == 1
    message.refresh_from_db()
    assert (message.claimed_by, message.attempts, message.last_error, message.delivered_at) == ("B", 0, "", None)


@pytest.mark.django_db
def test_a_stopping_worker_hands_a_long_job_back_at_its_next_checkpoint(handlers):
    stopping = []
    done = []

    def long_job(payload):
        for piece in range(5):
            with transaction.atomic():
                outbox_heartbeat()
                done.append(piece)
            stopping.append(piece == 1)  # SIGTERM arrives during the second piece
            outbox_heartbeat(checkpoint=True)

    register("long.job", long_job)
    message = outbox_put(topic="long.job", payload={})
    outcome = outbox_deliver_once(worker_id="W", lease_seconds=600, stop=lambda: any(stopping))
    assert (outcome.delivered, outcome.failed, outcome.skipped) == (0, 0, 1)
    assert done == [0, 1]
    message.refresh_from_db()
    assert (message.claimed_by, message.claimed_until, message.attempts, message.delivered_at) == ("", None, 0, None)
    assert len(outbox.outbox_claim(worker_id="next")) == 1  # at once, not after the 600 s lease


def test_outside_a_worker_the_heartbeat_does_nothing():
    """A handler called directly (a repair command, a test) runs without a lease: no database access, no error."""
    outbox_heartbeat()
    outbox_heartbeat(checkpoint=True)
