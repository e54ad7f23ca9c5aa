from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gridgov.common.errors import ValidationFailed
from gridgov.demo import DEMO_PASSWORD, SCALES, demo_build


class Command(BaseCommand):
    help = "Build the deterministic demo district (territory, layers, departments, one account per role)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when a territory already exists.")

    def handle(self, *args, scale, seed, if_empty, **options):
        from gridgov.regions.models import Region

        if if_empty and Region.objects.exists():
            self.stdout.write("The database already holds a territory; demo not loaded.")
            return
        bar = tqdm(total=SCALES[scale].streets, desc=f"demo ({scale})", unit="street", disable=options["verbosity"] == 0)

        def progress(n=1, stage=None):
            if stage:
                bar.set_postfix_str(stage)
            bar.update(n)

        try:
            personas = demo_build(scale=scale, seed=seed, progress=progress)
        except ValidationFailed as exc:
            raise CommandError(str(exc.message)) from exc
        finally:
            bar.close()
        print_accounts(self.stdout, personas)


def print_accounts(out, personas):
    if not personas:
        return
    out.write(f"\nDemo accounts — password for all: {DEMO_PASSWORD}")
    for p in personas:
        out.write(f"  {p['username']:<18} {p['role']:<10} {p['title']}")
