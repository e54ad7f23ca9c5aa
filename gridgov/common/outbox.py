"""The transactional outbox: every background job of the platform — notifications, 12345 callbacks, patrol-day
summaries, registry Excel imports — is a message written with the change and carried out later by ``gridgov worker``.

* ``register(topic, handler)`` is called by the app that owns the topic, in its ``AppConfig.ready()``; nothing is
  registered as a side effect of importing a module, and no lower layer looks for an upper layer's handler.
* ``outbox_put`` is called inside the caller's transaction: the message exists if and only if the change committed.
  ``outbox_put_many`` queues many at once (one ``INSERT … ON CONFLICT DO NOTHING`` per up to thousands of rows).
* ``outbox_claim`` hands a batch of due messages to one worker under a lease. PostgreSQL: ``SELECT … FOR UPDATE SKIP
  LOCKED`` then mark them claimed, in one transaction. SQLite: one conditional ``UPDATE … WHERE id IN (SELECT … LIMIT
  n)`` (writers are serialised), then read back what this claim took. Either way N workers on N machines never hold
  the same message at the same time, and a crashed worker's lease simply runs out, so the message is delivered again.
* ``outbox_deliver_once`` runs the handler of each claimed message's topic: success marks it delivered; an exception
  counts an attempt, keeps the error and makes it due again after an exponential backoff (capped). A topic nobody
  registered fails the same way, with the reason in ``last_error`` (the admin lists it under "failing").
* A long handler (a 100,000-row import) calls ``outbox_heartbeat()`` after each piece of work, inside the
  transaction that commits that piece: it extends the lease and is the fencing check — if another worker has taken
  the message over (this one was thought dead), it raises ``LeaseLost`` and the piece is rolled back. When the worker
  is stopping, ``outbox_heartbeat(checkpoint=True)`` raises ``Released`` at a point where the work is saved, and the
  message is handed back at once.

Delivery is at least once: a worker can die after the handler ran and before it marked the message delivered, so
handlers and the systems they call must tolerate duplicates (each payload carries a stable id for that). See
docs/outbox.md.

* ``outbox_retry_now`` makes failing messages due at once with a fresh backoff (the admin's "retry now").
* ``outbox_prune`` deletes delivered messages older than ``GRIDGOV_OUTBOX_KEEP_DAYS``, in small batches; messages not
  yet delivered (waiting or failing) are never deleted by it. ``gridgov worker`` runs it hourly.
* Periodic jobs: a topic registered with ``hourly=True`` gets one message an hour, queued by ``gridgov worker`` on
  the same hourly tick (``outbox_put_hourly``, deduplicated by topic and hour across all workers).
"""

import contextlib
import contextvars
import datetime as dt
import logging
import os
import socket
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from gridgov.common.audit import audit_record
from gridgov.common.models import OutboxMessage

log = logging.getLogger("gridgov.outbox")

Handler = Callable[[dict], None]
HANDLERS: dict[str, Handler] = {}  # topic → handler; written only by register() (tests may patch it)
HOURLY: set[str] = set()  # topics ``gridgov worker`` queues once an hour (register(..., hourly=True))
MAX_ERROR = 2000
TOPIC_MAX = OutboxMessage._meta.get_field("topic").max_length
DEDUPE_MAX = OutboxMessage._meta.get_field("dedupe_key").max_length


class NoHandler(LookupError):
    pass


class LeaseLost(Exception):
    """Another worker holds the message now (this one was too slow, or was thought dead): stop, write nothing more."""


class Released(Exception):
    """The worker is stopping: the handler has saved its progress and hands the message back for another worker."""


# ======================================================================================================================
# Handlers
# ======================================================================================================================
def register(topic: str, handler: Handler, *, hourly: bool = False) -> None:
    """Make ``handler(payload)`` the handler of ``topic``. Call it from the owning app's ``AppConfig.ready()``.
    One handler per topic: another function for a topic already taken is a configuration error (two apps claim the
    same topic); the same function again is a no-op (``ready()`` can run more than once). ``hourly``: a periodic
    job — ``gridgov worker`` queues one message of the topic per hour (``outbox_put_hourly``), delivered like any
    other (retried with backoff, visible in the admin)."""
    if not isinstance(topic, str) or not topic.strip() or len(topic) > TOPIC_MAX:
        raise ImproperlyConfigured(f"outbox topic {topic!r}: a name of 1 to {TOPIC_MAX} characters is required")
    if not callable(handler):
        raise ImproperlyConfigured(f"outbox topic {topic!r}: the handler {handler!r} is not callable")
    current = HANDLERS.get(topic)
    if current is not None and current is not handler:
        raise ImproperlyConfigured(f"outbox topic {topic!r} already has a handler ({current.__module__}."
                                   f"{current.__qualname__}); one topic, one handler")
    HANDLERS[topic] = handler
    if hourly:
        HOURLY.add(topic)


def registered_topics() -> list[str]:
    return sorted(HANDLERS)


# ======================================================================================================================
# Queueing
# ======================================================================================================================
@dataclass(frozen=True)
class Message:
    """One message for ``outbox_put_many``: due at ``available_at`` (default now)."""

    topic: str
    payload: dict
    dedupe_key: str | None = None
    available_at: dt.datetime | None = None


def _check(topic, payload, dedupe_key, where: str = "") -> None:
    if not isinstance(topic, str) or not topic or len(topic) > TOPIC_MAX:
        raise ValueError(f"{where}topic must be a name of 1 to {TOPIC_MAX} characters, not {topic!r}")
    if not isinstance(payload, dict):
        raise ValueError(f"{where}payload must be a dict, not {type(payload).__name__}")
    if dedupe_key is not None and (not isinstance(dedupe_key, str) or not dedupe_key or len(dedupe_key) > DEDUPE_MAX):
        raise ValueError(f"{where}dedupe_key must be None or 1 to {DEDUPE_MAX} characters")


def outbox_put(*, topic: str, payload: dict, dedupe_key: str | None = None, delay_seconds: float = 0
               ) -> OutboxMessage:
    """Queue a message in the current transaction. With a ``dedupe_key`` that is already queued, nothing new is
    written and the existing message is returned (so re-running a step never queues its side effect twice)."""
    _check(topic, payload, dedupe_key)
    available_at = timezone.now() + dt.timedelta(seconds=delay_seconds)
    message = OutboxMessage(topic=topic, payload=payload, dedupe_key=dedupe_key, available_at=available_at)
    if dedupe_key is None:
        message.save()
        return message
    # INSERT … ON CONFLICT DO NOTHING (PostgreSQL) / INSERT OR IGNORE (SQLite): no error aborts the caller's transaction
    OutboxMessage.objects.bulk_create([message], ignore_conflicts=True)
    return OutboxMessage.objects.get(dedupe_key=dedupe_key)


def _rows_per_statement(params_per_row: int) -> int:
    """As many rows per INSERT as the database takes parameters: SQLite's real limit (32,766 since 3.32), PostgreSQL's
    65,535."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        try:
            limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:  # Python < 3.11
            limit = connection.features.max_query_params or 999
    else:
        limit = connection.features.max_query_params or 65_535
    return max(1, limit // params_per_row)


def outbox_put_many(messages: Iterable[Message]) -> int:
    """Queue many messages in the current transaction with one ``INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING``
    (split only beyond the database's parameter limit: thousands of rows per statement). A ``dedupe_key`` already
    queued, or repeated in ``messages``, is written once (the first one wins). Returns how many rows were written.
    Bad input (``ValueError`` naming the message) writes nothing."""
    messages = list(messages)
    for index, m in enumerate(messages):
        if not isinstance(m, Message):
            raise ValueError(f"message {index}: a gridgov.common.outbox.Message is required, not {type(m).__name__}")
        _check(m.topic, m.payload, m.dedupe_key, where=f"message {index}: ")
    seen, unique = set(), []
    for m in messages:
        if m.dedupe_key is not None:
            if m.dedupe_key in seen:
                continue
            seen.add(m.dedupe_key)
        unique.append(m)
    if not unique:
        return 0
    now = timezone.now()
    field = OutboxMessage._meta.get_field
    prep = {name: field(name) for name in ("topic", "payload", "created_at", "available_at", "dedupe_key")}
    rows = [[prep["topic"].get_db_prep_save(m.topic, connection),
             prep["payload"].get_db_prep_save(m.payload, connection),
             prep["created_at"].get_db_prep_save(now, connection),
             prep["available_at"].get_db_prep_save(m.available_at or now, connection),
             prep["dedupe_key"].get_db_prep_save(m.dedupe_key, connection)] for m in unique]
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field(name).column) for name in (
        "topic", "payload", "created_at", "available_at", "dedupe_key", "attempts", "last_error", "claimed_by"))
    per_statement = _rows_per_statement(len(rows[0]))
    parts = [rows[start:start + per_statement] for start in range(0, len(rows), per_statement)]
    written = 0
    # several statements (beyond the parameter limit): all or nothing, in a savepoint of the caller's transaction
    with transaction.atomic() if len(parts) > 1 else contextlib.nullcontext(), connection.cursor() as cursor:
        for part in parts:
            values = ", ".join(["(%s, %s, %s, %s, %s, 0, '', '')"] * len(part))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT DO NOTHING",
                           [value for row in part for value in row])
            written += cursor.rowcount
    return written


def outbox_put_hourly(*, now: dt.datetime | None = None) -> int:
    """Queue this hour's message of every hourly topic; returns how many were new. The deduplication key names the
    topic and the UTC hour, so however many workers ask (each at start and then hourly), each job is queued once an
    hour. The payload carries the hour; the handler reads everything else fresh."""
    hour = (now or timezone.now()).astimezone(dt.UTC).strftime("%Y-%m-%dT%H")
    return outbox_put_many([Message(topic=topic, payload={"hour": hour}, dedupe_key=f"{topic}:{hour}")
                            for topic in sorted(HOURLY)])


# ======================================================================================================================
# Claiming and delivering
# ======================================================================================================================
def _due(now: dt.datetime):
    return (OutboxMessage.objects.filter(delivered_at__isnull=True, available_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)))


def outbox_claim(*, worker_id: str, batch: int = 50, lease_seconds: float = 60) -> list[OutboxMessage]:
    """Claim up to ``batch`` due messages for ``worker_id`` until now + ``lease_seconds``; oldest due first."""
    if not worker_id:
        raise ValueError("worker_id is required")
    now = timezone.now()
    until = now + dt.timedelta(seconds=lease_seconds)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            ids = list(_due(now).order_by("available_at", "id").select_for_update(skip_locked=True)
                       .values_list("id", flat=True)[:batch])
            if ids:
                OutboxMessage.objects.filter(id__in=ids).update(claimed_by=worker_id, claimed_until=until)
        else:
            taken = _due(now).order_by("available_at", "id").values("id")[:batch]
            count = OutboxMessage.objects.filter(id__in=taken).update(claimed_by=worker_id, claimed_until=until)
            if not count:
                return []
            ids = None
        claimed = OutboxMessage.objects.filter(claimed_by=worker_id, claimed_until=until, delivered_at__isnull=True)
        if ids is not None:
            claimed = claimed.filter(id__in=ids)
        return list(claimed.order_by("available_at", "id"))


def _renew(message: OutboxMessage, *, worker_id: str, lease_seconds: float) -> bool:
    """Extend this worker's lease just before running a handler; False if the lease was lost (another worker may
    hold the message now), in which case this worker leaves it alone."""
    until = timezone.now() + dt.timedelta(seconds=lease_seconds)
    return bool(OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker_id, delivered_at__isnull=True)
                .update(claimed_until=until))


def backoff_seconds(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure: base, 2×base, 4×base … capped."""
    base = settings.GRIDGOV_OUTBOX_BACKOFF_BASE_SECONDS
    cap = settings.GRIDGOV_OUTBOX_BACKOFF_MAX_SECONDS
    return float(min(cap, base * 2 ** max(attempts - 1, 0)))


@dataclass
class Outcome:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0  # lease lost (another worker has it), or released on stop


@dataclass(frozen=True)
class _Held:
    """The message whose handler runs right now in this thread, for ``outbox_heartbeat``."""

    message_id: int
    worker_id: str
    lease_seconds: float
    stop: Callable[[], bool] | None


_held: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("gridgov_outbox_held", default=None)


def outbox_heartbeat(*, checkpoint: bool = False) -> None:
    """For long handlers: extend the lease of the message being handled by another ``lease_seconds``.

    Call it for every piece of work, **inside the transaction that commits the piece** (with its checkpoint): the
    renewal is then the fencing check — ``LeaseLost`` if another worker has taken the message over, which rolls the
    piece back. On PostgreSQL the renewal also locks the message row until the piece commits, so nobody can claim it
    in between; SQLite runs one writer at a time. With ``checkpoint=True`` (call it right after a commit, outside a
    transaction) it raises ``Released`` when the worker is stopping (SIGTERM): the message goes back to the queue at
    once and the next worker resumes from the checkpoint. Outside a worker (a handler called directly) it does
    nothing."""
    held = _held.get()
    if held is None:
        return
    until = timezone.now() + dt.timedelta(seconds=held.lease_seconds)
    renewed = OutboxMessage.objects.filter(pk=held.message_id, claimed_by=held.worker_id,
                                           delivered_at__isnull=True).update(claimed_until=until)
    if renewed != 1:
        raise LeaseLost(f"outbox message {held.message_id}: another worker holds it now")
    if checkpoint and held.stop is not None and held.stop():
        raise Released


def _release(ids: list[int], worker_id: str) -> None:
    OutboxMessage.objects.filter(pk__in=ids, claimed_by=worker_id, delivered_at__isnull=True).update(
        claimed_by="", claimed_until=None)


def outbox_deliver_once(*, worker_id: str, handlers: dict[str, Handler] | None = None, batch: int = 50,
                        lease_seconds: float = 60, stop: Callable[[], bool] | None = None) -> Outcome:
    """Claim one batch and run its handlers. Never raises for a handler's failure: that is recorded on the row.
    When ``stop()`` turns true (SIGTERM), the rest of the batch is released at once for other workers."""
    handlers = HANDLERS if handlers is None else handlers
    outcome = Outcome()
    messages = outbox_claim(worker_id=worker_id, batch=batch, lease_seconds=lease_seconds)
    outcome.claimed = len(messages)
    for index, message in enumerate(messages):
        if stop is not None and stop():
            rest = [m.pk for m in messages[index:]]
            outcome.skipped += len(rest)
            _release(rest, worker_id)
            break
        if not _renew(message, worker_id=worker_id, lease_seconds=lease_seconds):
            outcome.skipped += 1
            continue
        token = _held.set(_Held(message.pk, worker_id, lease_seconds, stop))
        try:
            handler = handlers.get(message.topic)
            if handler is None:
                raise NoHandler(f"no handler registered for topic {message.topic!r} (the app that owns the topic "
                                f"registers one in its AppConfig.ready); the message waits and is retried")
            handler(message.payload)
        except LeaseLost:  # another worker took it over: it is theirs now, nothing to record
            outcome.skipped += 1
            log.warning("outbox message %s (%s): lease lost to another worker", message.pk, message.topic)
        except Released:  # stopping: progress is saved, the next worker resumes it now rather than after the lease
            outcome.skipped += 1
            _release([message.pk], worker_id)
        except Exception as exc:  # noqa: BLE001 - any failure of a handler means: try again later
            outcome.failed += 1
            _failed(message, worker_id=worker_id, exc=exc)
        else:
            outcome.delivered += 1
            OutboxMessage.objects.filter(pk=message.pk, delivered_at__isnull=True).update(
                delivered_at=timezone.now(), attempts=F("attempts") + 1, claimed_by="", claimed_until=None,
                last_error="")
        finally:
            _held.reset(token)
    return outcome


def _failed(message: OutboxMessage, *, worker_id: str, exc: Exception) -> None:
    attempts = message.attempts + 1
    delay = backoff_seconds(attempts)
    OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker_id, delivered_at__isnull=True).update(
        attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR], claimed_by="",
        claimed_until=None, available_at=timezone.now() + dt.timedelta(seconds=delay))
    # id, topic and the exception class only: the log leaves the machine, and an error text may quote personal data
    log.warning("outbox message %s (%s) failed, attempt %d, retry in %ds: %s", message.pk, message.topic, attempts,
                delay, type(exc).__name__)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def outbox_retry_now(*, actor, ids, ip: str | None = None) -> int:
    """Make the given undelivered messages due now, with ``attempts`` back at 0 (so the backoff starts again from its
    base); the payload is never touched, and ``last_error`` stays until the next attempt. Messages already delivered,
    or held by a worker right now (a live lease), are left alone. Returns how many were reset; audited."""
    now = timezone.now()
    with transaction.atomic():
        reset = (OutboxMessage.objects.filter(pk__in=list(ids), delivered_at__isnull=True)
                 .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)))
        reset_ids = sorted(reset.values_list("id", flat=True))
        count = OutboxMessage.objects.filter(pk__in=reset_ids).update(
            available_at=now, attempts=0, claimed_by="", claimed_until=None)
        if count:
            audit_record(actor=actor, action="outbox.retry", object_type=OutboxMessage._meta.label_lower, ip=ip,
                         detail={"ids": reset_ids[:200], "count": count})
    return count


@dataclass
class Pruned:
    cutoff: dt.datetime
    deleted: int


def outbox_prune(*, keep_days: int | None = None, batch: int = 1000, dry_run: bool = False) -> Pruned:
    """Delete delivered messages whose ``delivered_at`` is more than ``keep_days`` (default
    ``GRIDGOV_OUTBOX_KEEP_DAYS``) ago, ``batch`` rows per statement, each its own short transaction, so neither web
    requests nor other workers wait on a long delete. Undelivered messages are never deleted, however old.
    ``dry_run`` only counts."""
    keep_days = settings.GRIDGOV_OUTBOX_KEEP_DAYS if keep_days is None else keep_days
    if keep_days < 0:
        raise ValueError("keep_days must be 0 or more")
    if batch < 1:
        raise ValueError("batch must be at least 1")
    cutoff = timezone.now() - dt.timedelta(days=keep_days)
    old = OutboxMessage.objects.filter(delivered_at__isnull=False, delivered_at__lt=cutoff)
    if dry_run:
        return Pruned(cutoff=cutoff, deleted=old.count())
    deleted = 0
    while ids := list(old.order_by("id").values_list("id", flat=True)[:batch]):
        with transaction.atomic():
            deleted += OutboxMessage.objects.filter(pk__in=ids, delivered_at__lt=cutoff).delete()[0]
        if len(ids) < batch:
            break
    if deleted:
        log.info("outbox: pruned %d delivered messages older than %d days", deleted, keep_days)
    return Pruned(cutoff=cutoff, deleted=deleted)


def outbox_settle(*, topics: Iterable[str] | None = None, after_id: int = 0) -> int:
    """Seed data that replays the past (the demo's three months of history): mark the undelivered messages (of these
    topics; None: of any) written after message ``after_id`` as delivered when they were written — months-old
    notices and recomputes belong to the past, not to the worker's queue. Returns how many."""
    messages = OutboxMessage.objects.filter(pk__gt=after_id, delivered_at__isnull=True)
    if topics is not None:
        messages = messages.filter(topic__in=list(topics))
    return messages.update(delivered_at=F("created_at"), claimed_by="", claimed_until=None)


def outbox_last_id() -> int:
    """The id of the newest message (0 when there is none): where ``outbox_settle`` starts."""
    return OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
