"""`gridgov photos_prune`: delete case photos uploaded more than GRIDGOV_PHOTO_UNATTACHED_HOURS ago and never attached
to a case, with their files (docs/events.md). `gridgov worker` does this by itself every hour; the command is for a
one-off clean-up or a cron job."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gridgov.events.services import photo_prune_unattached


class Command(BaseCommand):
    help = ("Delete case photos that were uploaded but never attached to a case, once they are older than "
            "GRIDGOV_PHOTO_UNATTACHED_HOURS hours, with their files and thumbnails. Attached photos are never deleted.")

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=None,
                            help="Grace period in hours (default GRIDGOV_PHOTO_UNATTACHED_HOURS).")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args, hours, dry_run, **options):
        hours = settings.GRIDGOV_PHOTO_UNATTACHED_HOURS if hours is None else hours
        if hours < 0:
            raise CommandError("--hours must be 0 or more")
        pruned = photo_prune_unattached(hours=hours, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"photos_prune: {verb} {pruned.deleted} photos never attached to a case, uploaded more "
                          f"than {hours} hours ago (before {pruned.cutoff:%Y-%m-%d %H:%M} UTC)")
