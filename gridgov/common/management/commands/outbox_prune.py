"""`gridgov outbox_prune`: delete delivered outbox messages older than GRIDGOV_OUTBOX_KEEP_DAYS (docs/outbox.md).
`gridgov worker` does this by itself every hour; the command is for a one-off clean-up or a cron job."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gridgov.common.outbox import outbox_prune


class Command(BaseCommand):
    help = ("Delete delivered outbox messages older than GRIDGOV_OUTBOX_KEEP_DAYS days. Messages not delivered yet "
            "(waiting or failing) are never deleted.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="Keep delivered messages this many days (default GRIDGOV_OUTBOX_KEEP_DAYS).")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")
        parser.add_argument("--batch", type=int, default=1000, help="Rows per DELETE statement.")

    def handle(self, *args, days, dry_run, batch, **options):
        days = settings.GRIDGOV_OUTBOX_KEEP_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more")
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        pruned = outbox_prune(keep_days=days, batch=batch, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"outbox_prune: {verb} {pruned.deleted} delivered messages older than {days} days "
                          f"(delivered before {pruned.cutoff:%Y-%m-%d %H:%M} UTC)")
