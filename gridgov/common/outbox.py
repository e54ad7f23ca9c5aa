"""The transactional outbox: side effects (notifications, 12345 callbacks) written with the change, delivered later.

* ``outbox_put`` is called inside the caller's transaction: the message exists if and only if the change committed.
* ``outbox_claim`` hands a batch of due messages to one worker under a lease. PostgreSQL: ``SELECT … FOR UPDATE SKIP
  LOCKED`` then mark them claimed, in one transaction. SQLite: one conditional ``UPDATE … WHERE id IN (SELECT … LIMIT
  n)`` (writers are serialised), then read back what this claim took. Either way N workers on N machines never hold
  the same message at the same time, and a crashed worker's lease simply runs out, so the message is delivered again.
* ``outbox_deliver_once`` runs the handler of each claimed message's topic: success marks it delivered; an exception
  counts an attempt, keeps the error and makes it due again after an exponential backoff (capped).

Delivery is at least once: a worker can die after the handler ran and before it marked the message delivered, so
handlers and the systems they call must tolerate duplicates (each payload carries a stable id for that).

Handlers live in ``HANDLERS`` (topic → callable taking the payload), filled by the apps that own the topics when they
are loaded (e.g. ``gridgov.events.notifications``). See docs/outbox.md.

* ``outbox_retry_now`` makes failing messages due at once with a fresh backoff (the admin's "retry now").
* ``outbox_prune`` deletes delivered messages older than ``GRIDGOV_OUTBOX_KEEP_DAYS``, in small batches; messages not
  yet delivered (waiting or failing) are never deleted by it. ``gridgov worker`` runs it hourly.
"""

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from gridgov.common.audit import audit_record
from gridgov.common.models import OutboxMessage

log = logging.getLogger("gridgov.outbox")

Handler = Callable[[dict], None]
HANDLERS: dict[str, Handler] = {}
MAX_ERROR = 2000


class NoHandler(LookupError):
    pass


def outbox_put(*, topic: str, payload: dict, dedupe_key: str | None = None, delay_seconds: float = 0
               ) -> OutboxMessage:
    """Queue a message in the current transaction. With a ``dedupe_key`` that is already queued, nothing new is
    written and the existing message is returned (so re-running a step never queues its side effect twice)."""
    available_at = timezone.now() + dt.timedelta(seconds=delay_seconds)
    message = OutboxMessage(topic=topic, payload=payload, dedupe_key=dedupe_key, available_at=available_at)
    if dedupe_key is None:
        message.save()
        return message
    # INSERT … ON CONFLICT DO NOTHING (PostgreSQL) / INSERT OR IGNORE (SQLite): no error aborts the caller's transaction
    OutboxMessage.objects.bulk_create([message], ignore_conflicts=True)
    return OutboxMessage.objects.get(dedupe_key=dedupe_key)


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
    skipped: int = 0  # lease lost before the handler ran (another worker has it), or released on stop


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
            OutboxMessage.objects.filter(pk__in=rest, claimed_by=worker_id, delivered_at__isnull=True).update(
                claimed_by="", claimed_until=None)
            break
        if not _renew(message, worker_id=worker_id, lease_seconds=lease_seconds):
            outcome.skipped += 1
            continue
        try:
            handler = handlers.get(message.topic)
            if handler is None:
                raise NoHandler(f"no handler for topic {message.topic!r}")
            handler(message.payload)
        except Exception as exc:  # noqa: BLE001 - any failure of a handler means: try again later
            outcome.failed += 1
            _failed(message, worker_id=worker_id, exc=exc)
        else:
            outcome.delivered += 1
            OutboxMessage.objects.filter(pk=message.pk, delivered_at__isnull=True).update(
                delivered_at=timezone.now(), attempts=F("attempts") + 1, claimed_by="", claimed_until=None,
                last_error="")
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
