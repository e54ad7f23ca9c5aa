"""`gridgov worker`: run every background job of the platform — the outbox messages (notifications, 12345 callbacks,
patrol-day summaries, registry Excel imports) — until stopped. Run one or more per machine, on as many machines as you
like: claims never overlap (docs/outbox.md). Every ``--prune-every`` seconds (hourly) it also deletes delivered
messages older than GRIDGOV_OUTBOX_KEEP_DAYS (``outbox_prune``) and queues this hour's message of every hourly job
(``outbox_put_hourly``: e.g. deleting photos that were never attached)."""

import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connection

from gridgov.common.models import OutboxMessage
from gridgov.common.outbox import (
    default_worker_id,
    outbox_deliver_once,
    outbox_prune,
    outbox_put_hourly,
    registered_topics,
)


class Command(BaseCommand):
    help = "Deliver outbox messages: claim due ones, run their handlers, retry failures with backoff."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver one batch, then exit.")
        parser.add_argument("--max-seconds", type=float, default=None, help="Exit after this many seconds.")
        parser.add_argument("--batch", type=int, default=settings.GRIDGOV_OUTBOX_BATCH)
        parser.add_argument("--lease", type=float, default=settings.GRIDGOV_OUTBOX_LEASE_SECONDS,
                            help="Seconds a claimed message stays with this worker before others may take it.")
        parser.add_argument("--idle-sleep", type=float, default=1.0, help="Seconds to wait when nothing is due.")
        parser.add_argument("--worker-id", default="", help="Name in claimed_by (default host:pid).")
        parser.add_argument("--prune-every", type=float, default=3600.0,
                            help="Seconds between deletions of old delivered messages and queueings of the hourly "
                                 "jobs, the first at start (0: never).")

    def handle(self, *args, once, max_seconds, batch, lease, idle_sleep, worker_id, prune_every, **options):
        worker_id = worker_id or default_worker_id()
        next_prune = time.monotonic() if prune_every > 0 else None
        stop = threading.Event()
        restore = self._on_signals(stop)
        ends = time.monotonic() + max_seconds if max_seconds is not None else None
        topics = registered_topics()
        self.stdout.write(f"worker {worker_id}: started, topics: {', '.join(topics) or '-'}")
        self._warn_unhandled(worker_id, topics)
        try:
            while not stop.is_set():
                if ends is not None and time.monotonic() >= ends:
                    break
                if not connection.in_atomic_block:  # a long-lived process: drop broken or expired connections
                    close_old_connections()
                if next_prune is not None and time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + prune_every
                    self._prune(worker_id)
                try:
                    outcome = outbox_deliver_once(worker_id=worker_id, batch=batch,
                                                  lease_seconds=lease, stop=stop.is_set)
                except DatabaseError as exc:  # the database is restarting or unreachable: wait, then go on
                    if once or connection.in_atomic_block:
                        raise
                    self.stderr.write(f"worker {worker_id}: database unavailable ({type(exc).__name__}), retrying")
                    connection.close()
                    stop.wait(self._pause(max(idle_sleep, 5.0), ends))
                    continue
                if outcome.claimed:
                    self.stdout.write(f"worker {worker_id}: claimed {outcome.claimed}, delivered {outcome.delivered}, "
                                      f"failed {outcome.failed}, skipped {outcome.skipped}")
                if once:
                    break
                if outcome.claimed < batch:  # drained: wait a little (a full batch means more may be due)
                    stop.wait(self._pause(idle_sleep, ends))
        finally:
            restore()
        self.stdout.write(f"worker {worker_id}: stopped")

    def _warn_unhandled(self, worker_id: str, topics: list[str]) -> None:
        """Messages waiting for a topic no app registered keep failing (with the reason, in the admin): say so once
        at start, so an operator sees a missing app or a typo in a topic without reading the queue."""
        try:
            unhandled = sorted(set(OutboxMessage.objects.filter(delivered_at__isnull=True).exclude(topic__in=topics)
                                   .order_by().values_list("topic", flat=True).distinct()))
        except DatabaseError:
            if connection.in_atomic_block:
                raise
            connection.close()
            return
        if unhandled:
            self.stderr.write(f"worker {worker_id}: messages wait for topics without a handler: "
                              f"{', '.join(unhandled)} (they fail until an app registers one)")

    def _prune(self, worker_id: str) -> None:
        """Old delivered messages go and this hour's periodic jobs are queued; a failure here (the database is away)
        is reported and never stops delivery."""
        try:
            pruned = outbox_prune()
            queued = outbox_put_hourly()
        except DatabaseError as exc:
            self.stderr.write(f"worker {worker_id}: pruning failed ({type(exc).__name__}), next time")
            if connection.in_atomic_block:
                raise
            connection.close()
            return
        if pruned.deleted:
            self.stdout.write(f"worker {worker_id}: pruned {pruned.deleted} delivered messages "
                              f"older than {settings.GRIDGOV_OUTBOX_KEEP_DAYS} days")
        if queued:
            self.stdout.write(f"worker {worker_id}: queued {queued} hourly jobs")

    @staticmethod
    def _pause(seconds: float, ends: float | None) -> float:
        return seconds if ends is None else max(0.0, min(seconds, ends - time.monotonic()))

    def _on_signals(self, stop: threading.Event):
        """SIGTERM / SIGINT: finish the message in hand, release the rest of the batch, exit."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        for sig in previous:
            signal.signal(sig, lambda *_: stop.set())

        def restore():
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore
