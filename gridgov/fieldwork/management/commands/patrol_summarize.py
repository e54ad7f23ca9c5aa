"""``python manage.py patrol_summarize [--day D | --month M] [--worker USERNAME]``: recompute the daily patrol
summaries from the raw points (``gridgov worker`` does this by itself for every batch received; this command is for
repairs and after changing the schedule's rule). Without arguments: yesterday and today."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gridgov.fieldwork.services import patrol_days_recompute


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--day", help="a day, e.g. 2026-05-31")
        group.add_argument("--month", help="a month, e.g. 2026-05")
        parser.add_argument("--worker", help="only this account (username)")

    def handle(self, *args, day=None, month=None, worker=None, **options):
        from gridgov.accounts.models import User

        today = timezone.localdate()
        try:
            if month:
                year, m = (int(x) for x in month.split("-"))
                first = dt.date(year, m, 1)
                last = min(dt.date(year + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1), today)
                days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
            elif day:
                days = [dt.date.fromisoformat(day)]
            else:
                days = [today - dt.timedelta(days=1), today]
        except ValueError as exc:
            raise CommandError(f"not a valid day or month: {exc}") from None
        workers = None
        if worker:
            workers = list(User.objects.filter(username=worker))
            if not workers:
                raise CommandError(f"no account {worker!r}")
        n = patrol_days_recompute(workers=workers, days=days)
        self.stdout.write(f"patrol days recomputed: {n}")
