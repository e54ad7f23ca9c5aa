"""``python -m bench home [--repeats N]``: what each person's home page costs as the case table grows.

On a fresh SQLite file with the small demo district, cases are added in bulk (statuses, departments' parts,
deadlines and extension requests spread like a working district: a tenth of them open) in steps of 0, 20,000 and
100,000; at each step the home page of each persona is rendered through Django's test client, interleaved with
its baseline measured in the same rounds: the same person's workbench (``/cases/``, which counts the same queues
and shows one page of 30). Printed per step and persona: the median milliseconds of both, their ratio, and the
home page's queries — the same number at every size (gridgov/web/tests/test_home.py pins it too).
"""

import datetime as dt
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

from bench.common import command_line, interleaved, machine_info, median

STEPS = [0, 20_000, 100_000]
PERSONAS = ["worker_a", "gridleader", "community", "street_dispatcher", "dispatcher", "sanitation", "leader"]


def _setup(work: Path) -> None:
    os.environ["GRIDGOV_VAR_DIR"] = str(work)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("GRIDGOV_LOG_LEVEL", "WARNING")
    os.environ["GRIDGOV_MANIFEST_STATIC"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    from gridgov.demo import demo_build

    call_command("migrate", verbosity=0)
    demo_build(scale="small")


def _add_cases(n: int, start: int, rng: random.Random) -> None:
    """``n`` cases over every grid, most of them closed, the rest in every queue's state."""
    from django.db import transaction
    from django.utils import timezone

    from gridgov.accounts.models import Department, User
    from gridgov.events.models import Assignment, Category, Event, Transition
    from gridgov.regions.models import Region

    grids = list(Region.objects.filter(level="grid", status="active").values_list("pk", "path", "centroid_lon",
                                                                                   "centroid_lat"))
    categories = list(Category.objects.exclude(level="class").values_list("pk", flat=True))
    departments = list(Department.objects.values_list("pk", flat=True))
    reporters = list(User.objects.filter(role="grid_worker").values_list("pk", flat=True))
    open_states = ["reported", "accepted", "registered", "dispatched", "handling", "returned", "handled",
                   "unsatisfied", "closed"]
    now = timezone.now()
    with transaction.atomic():
        events = []
        for i in range(start, start + n):
            grid_id, path, lon, lat = rng.choice(grids)
            status = rng.choice(open_states) if rng.random() < 0.1 else rng.choice(["rated", "archived"])
            reported = now - dt.timedelta(minutes=rng.randint(10, 90 * 24 * 60))
            deadline = now + dt.timedelta(hours=rng.randint(-72, 120))
            events.append(Event(
                number=f"BH{i:010d}", category_id=rng.choice(categories), description="bench", lon=lon, lat=lat,
                grid_id=grid_id, region_path=path, channel="worker", status=status, case_type="promised",
                reporter_id=rng.choice(reporters), occurred_at=reported, reported_at=reported,
                dispatched_at=reported, deadline=deadline, warn_at=deadline - dt.timedelta(hours=12),
                supervised=rng.random() < 0.02, lead_department_id=rng.choice(departments)))
        Event.objects.bulk_create(events, batch_size=2000)
        made = list(Event.objects.filter(number__startswith="BH").order_by("-pk")[:n].values_list(
            "pk", "status", "lead_department_id", "reported_at"))
        parts, moves = [], []
        for pk, status, lead, reported in made:
            parts.append(Assignment(event_id=pk, department_id=lead, is_lead=True, active=status != "returned",
                                    signed_at=reported if status not in ("dispatched", "returned") else None))
            moves.append(Transition(event_id=pk, action="report", to_status="reported", actor_name="bench",
                                    at=reported))
            if status == "handling" and rng.random() < 0.2:
                moves.append(Transition(event_id=pk, action="request_extension", from_status=status,
                                        to_status=status, actor_name="bench", at=reported, reason="bench"))
        Assignment.objects.bulk_create(parts, batch_size=2000)
        Transition.objects.bulk_create(moves, batch_size=2000)


def _client(persona):
    from django.test import Client

    from gridgov.accounts.models import User

    if persona == "sanitation":  # the 环卫办 of worker_a's street
        street = User.objects.get(username="worker_a").grids.get().path.strip("/").split("/")[1]
        user = User.objects.filter(role="dept_handler", department__kind="sanitation",
                                   department__region__code=street).order_by("pk").first()
    else:
        user = User.objects.get(username=persona)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def run(repeats: int = 7, **_options) -> int:
    work = Path(tempfile.mkdtemp(prefix="gridgov-bench-home-"))
    try:
        _setup(work)
        rng = random.Random(2026)
        clients = {p: _client(p) for p in PERSONAS}
        info = machine_info()
        print(f"# {command_line()}  ({info['nproc']} cores, load {info['loadavg']}, SQLite, small demo)")
        print("| cases | persona | home ms (median) | workbench ms (baseline) | ratio | home queries |")
        print("|---:|---|---:|---:|---:|---:|")
        added, status, first_queries = 0, 0, {}
        for step in STEPS:
            if step > added:
                _add_cases(step - added, added, rng)
                added = step
            for persona, client in clients.items():
                home = lambda c=client: c.get("/")  # noqa: E731
                bench = lambda c=client: c.get("/cases/")  # noqa: E731
                home(), bench()  # warm
                times = interleaved({"home": home, "workbench": bench}, repeats)
                queries = _queries(client, "/")
                first_queries.setdefault(persona, queries)
                if queries != first_queries[persona]:
                    status = 1  # the page's queries grew with the data: a failure, not a missed target
                h, w = median(times["home"]) * 1000, median(times["workbench"]) * 1000
                print(f"| {step:,} | {persona} | {h:.1f} | {w:.1f} | {h / w:.2f} | {queries} |")
        return status
    finally:
        from django.db import connection

        connection.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run())
