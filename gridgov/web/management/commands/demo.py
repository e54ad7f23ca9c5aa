import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from gridgov.common.errors import ValidationFailed
from gridgov.demo import DEMO_PASSWORD, SCALES, demo_accounts, demo_build


class Command(BaseCommand):
    help = "Build the deterministic demo district (territory, layers, departments, accounts, registry) with about " \
           "three months of life up to now (patrols, cases from every channel, visits, disputes)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when a territory already exists.")
        parser.add_argument("--no-history", action="store_true",
                            help="Only the territory, accounts and registry: no three months of cases and patrols.")

    def handle(self, *args, scale, seed, if_empty, no_history, **options):
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
            demo_build(scale=scale, seed=seed, progress=progress, history=not no_history)
        except ValidationFailed as exc:
            raise CommandError(str(exc.message)) from exc
        finally:
            bar.close()
        print_accounts(self.stdout, demo_accounts())


def _width(text: str) -> int:
    """Columns the text takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(1, width - _width(text))


def print_accounts(out, accounts: dict) -> None:
    """The demo accounts, each with its role and what it sees, then the department handlers and how the other
    accounts are named (``gridgov.demo.demo_accounts``)."""
    personas = accounts.get("personas") or []
    if not personas:
        return
    out.write("\n" + _("Demo accounts — the password of all of them: %(password)s") % {"password": DEMO_PASSWORD})
    out.write("  " + _pad(_("account"), 19) + _pad(_("role"), 18) + _("sees"))
    for p in personas:
        out.write(f"  {_pad(p['username'], 19)}{_pad(p['role'], 18)}{p['title']}")
    handlers = accounts.get("handlers") or []
    if handlers:
        out.write("\n" + _("Department handlers (one per department; each sees the cases sent to it):"))
        for h in handlers:
            out.write(f"  {_pad(h['username'], 19)}{h['department']}")
    for line in accounts.get("more") or []:
        out.write("  " + line)
