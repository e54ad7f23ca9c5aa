"""``python manage.py anomalies_detect [--day D | --month M]``: run the anomaly rules (docs/anomalies.md).
Idempotent: one anomaly per kind, worker and day; reviewed ones are left alone. Without arguments: yesterday."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gridgov.fieldwork.detect import anomalies_detect


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--day", help="a day, e.g. 2026-05-31")
        group.add_argument("--month", help="a month, e.g. 2026-05 (every day so far, plus month-end bursts)")

    def handle(self, *args, day=None, month=None, **options):
        try:
            if month:
                year, m = (int(x) for x in month.split("-"))
                dt.date(year, m, 1)
                counts = anomalies_detect(month=(year, m))
            else:
                the_day = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
                counts = anomalies_detect(day=the_day)
        except ValueError as exc:
            raise CommandError(f"not a valid day or month: {exc}") from None
        total = sum(counts.values())
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "none"
        self.stdout.write(f"anomalies found: {total} ({detail})")
