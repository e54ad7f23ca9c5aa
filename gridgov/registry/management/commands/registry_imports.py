"""`manage.py registry_imports`: run registry imports that no process is working on — queued ones whose starting
thread never ran, running ones whose lease expired because their process died. ``--once`` sweeps once and exits;
without it, sweeps every ``--interval`` seconds until stopped. ``gridgov worker`` does the same in a thread."""

import time

from django.core.management.base import BaseCommand

from gridgov.registry.imports import import_jobs_resume, stale_jobs


class Command(BaseCommand):
    help = "Resume registry Excel imports left queued or running by a process that stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Sweep once, then exit.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between sweeps.")
        parser.add_argument("--max-seconds", type=float, default=None, help="Exit after this many seconds.")

    def handle(self, *args, once, interval, max_seconds, **options):
        ends = time.monotonic() + max_seconds if max_seconds is not None else None
        while True:
            waiting = stale_jobs().count()
            ran = import_jobs_resume(limit=100)
            self.stdout.write(f"registry imports: {waiting} waiting, {len(ran)} run"
                              + (f" ({', '.join(map(str, ran))})" if ran else ""))
            if once or (ends is not None and time.monotonic() >= ends):
                break
            time.sleep(interval if ends is None else max(0.0, min(interval, ends - time.monotonic())))
