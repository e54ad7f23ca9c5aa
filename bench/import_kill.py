"""``python -m bench import-kill [--pg] [--rows N] [--lease S]``: kill -9 of the worker in the middle of a 100,000-row
registry import, then a second worker; counts what was lost and what was doubled (docs/reliability.md).

Per database (SQLite: a new file with the small demo; with ``--pg`` also a new PostgreSQL database with the small
demo, dropped afterwards), in a fresh process:

1. the fixed-seed people file of ``bench/registry_import.py`` (100,000 rows, 1,600 bad on purpose) is uploaded with
   ``import_job_create`` for a community staff account, as the upload page does (the job and its outbox message are
   committed together; nothing runs it yet);
2. ``manage.py worker`` (a real process, lease ``--lease`` seconds) runs the import; once half the rows are committed
   it gets SIGKILL;
3. the rows in the table are compared with the job's checkpoint at that moment (committed together, so they agree);
4. a second ``manage.py worker`` takes the job over when the dead worker's lease runs out and finishes it;
5. the people table is compared with the file: every valid row present (lost = valid rows missing), none twice
   (doubled = rows beyond one per person), the job's counts, and the progress seen every 50 ms never going back.

Exits non-zero when anything was lost, doubled or miscounted.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, loadavg, machine_info, print_table

N_ROWS = 100_000
LEASE_SECONDS = 5.0


def _worker(worker_id: str, lease: float, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "manage.py", "worker", "--worker-id", worker_id, "--lease", str(lease),
                                 "--idle-sleep", "0.2", "--prune-every", "0"],
                                cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)


def measure(cfg: dict) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from gridgov.demo import demo_build

    demo_build(scale="small", history=False)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db.models import Count

    from bench.registry_import import write_file
    from gridgov.accounts.models import User
    from gridgov.common.models import OutboxMessage
    from gridgov.regions.models import Region
    from gridgov.registry.idcard import id_hash
    from gridgov.registry.imports import import_job_create
    from gridgov.registry.models import ImportJob, Person

    work = Path(cfg["workdir"])
    user = User.objects.filter(role="community_staff", is_active=True, region__isnull=False).order_by("username")[0]
    grids = list(Region.objects.filter(path__startswith=user.region.path, level="grid", status="active")
                 .values_list("code", flat=True))
    path, valid = work / "people.xlsx", []
    bad = write_file(path, grids, cfg["rows"], valid=valid)
    people_before = Person.objects.count()
    job = import_job_create(actor=user, kind="people", mode="valid_rows",
                            upload=SimpleUploadedFile(path.name, path.read_bytes()))
    log = work / "workers.log"
    samples: list[tuple[float, int]] = []

    def sample():
        processed, status = ImportJob.objects.filter(pk=job.pk).values_list("processed_rows", "status").get()
        samples.append((time.monotonic(), processed))
        return processed, status

    t0 = time.monotonic()
    first = _worker("doomed", cfg["lease"], log)
    try:
        while sample()[0] < cfg["rows"] // 2:
            if first.poll() is not None:
                raise RuntimeError(f"the first worker exited early:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    killed_at = time.monotonic()
    at_kill = ImportJob.objects.get(pk=job.pk)
    rows_at_kill = Person.objects.count() - people_before
    held_by = OutboxMessage.objects.get(dedupe_key=f"registry.import:{job.pk}").claimed_by

    second = _worker("survivor", cfg["lease"], log)
    resumed_at = None
    try:
        while True:
            processed, status = sample()
            if resumed_at is None and processed > at_kill.processed_rows:
                resumed_at = time.monotonic()
            if status != "running":
                break
            if second.poll() is not None:
                raise RuntimeError(f"the second worker exited early:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        done_at = time.monotonic()
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
    done = ImportJob.objects.get(pk=job.pk)
    present = set(Person.objects.filter(created_by=user).values_list("id_hash", flat=True))
    expected = {id_hash("resident_id", number) for number in valid}
    rows_after = Person.objects.count() - people_before
    doubled = sum(n - 1 for n in Person.objects.values("id_hash").annotate(n=Count("id")).filter(n__gt=1)
                  .values_list("n", flat=True))
    progress = [p for _t, p in samples]
    return {
        "backend": connection.vendor, "rows": cfg["rows"], "valid": len(valid), "bad": bad, "lease": cfg["lease"],
        "chunk": int(os.environ.get("GRIDGOV_IMPORT_CHUNK_ROWS", "2000")),
        "killed_after_s": killed_at - t0, "checkpoint_at_kill": at_kill.processed_rows,
        "created_at_kill": at_kill.created_rows, "rows_at_kill": rows_at_kill, "held_by_at_kill": held_by,
        "resume_gap_s": (resumed_at - killed_at) if resumed_at else None, "total_s": done_at - t0,
        "status": done.status, "processed": done.processed_rows, "created": done.created_rows,
        "updated": done.updated_rows, "unchanged": done.unchanged_rows, "error_rows": done.error_rows,
        "rows_after": rows_after, "lost": len(expected - present), "doubled": doubled,
        "progress_monotonic": progress == sorted(progress), "samples": len(progress),
    }


def _run_child(cfg: dict, env: dict) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.import_kill", "measure"], input=json.dumps(cfg), text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"import-kill failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(pg: bool = False, rows: int = N_ROWS, lease: float = LEASE_SECONDS, **_options) -> int:
    started = time.perf_counter()
    print(f"kill -9 of the worker during a {rows:,}-row registry import")
    module = "bench.import_kill" if sys.argv[0].endswith("import_kill.py") else "bench"
    print(f"  command: {' '.join(['.venv/bin/python -m', module, *sys.argv[1:]])}")
    print("  machine: " + ", ".join(f"{k} {v}" for k, v in machine_info().items()))
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base_env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "GRIDGOV_LOG_LEVEL": "WARNING"})
    results, status = [], 0
    for backend in ["sqlite", *(["postgresql"] if pg else [])]:
        work = Path(tempfile.mkdtemp(prefix="gridgov-import-kill-"))
        env = {**base_env, "GRIDGOV_VAR_DIR": str(work), "GRIDGOV_MEDIA_ROOT": str(work / "media"),
               "GRIDGOV_MEDIA_STORAGE": "local"}
        name = f"gridgov_import_kill_{os.getpid()}"
        try:
            if backend == "postgresql":
                from bench.events import create_pg_database

                create_pg_database(name)
                env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
            print(f"  {backend}: running …", flush=True)
            results.append(_run_child({"workdir": str(work), "rows": rows, "lease": lease}, env))
        finally:
            if backend == "postgresql":
                from bench.events import drop_pg_database

                drop_pg_database(name)
            shutil.rmtree(work, ignore_errors=True)
    table = []
    for r in results:
        ok = (r["status"] == "done" and r["lost"] == 0 and r["doubled"] == 0 and r["processed"] == r["rows"]
              and r["created"] == r["rows_after"] == r["valid"] and r["error_rows"] == r["bad"]
              and r["updated"] == r["unchanged"] == 0 and r["rows_at_kill"] == r["created_at_kill"]
              and 0 < r["checkpoint_at_kill"] < r["rows"] and r["progress_monotonic"])
        status |= 0 if ok else 1
        gap = f"{r['resume_gap_s']:.1f} s" if r["resume_gap_s"] is not None else "—"
        table.append([r["backend"], f"{r['rows']:,} ({r['valid']:,} valid, {r['bad']:,} bad)",
                      f"after {r['killed_after_s']:.0f} s, checkpoint {r['checkpoint_at_kill']:,} rows "
                      f"({r['rows_at_kill']:,} in the table)", gap, f"{r['total_s']:.0f} s",
                      f"{r['created']:,} / {r['unchanged']} / {r['error_rows']:,}", str(r["lost"]), str(r["doubled"]),
                      "yes" if r["progress_monotonic"] else "NO", "OK" if ok else "WRONG"])
        print(f"  {r['backend']}: kill -9 of the worker during a {r['rows']:,}-row import: {r['rows_after']:,} rows "
              f"imported of {r['valid']:,} valid, {r['lost']} lost, {r['doubled']} doubled (lease {r['lease']:g} s, "
              f"chunks of {r['chunk']:,}, progress sampled {r['samples']:,} times)")
    print()
    print_table(["database", "file rows", "worker killed (SIGKILL)", "kill → next chunk committed by the 2nd worker",
                 "total", "created / unchanged / error rows", "lost", "doubled", "progress never went back",
                 "correct"], table)
    print(f"\n(total {time.perf_counter() - started:.0f} s, load average now {loadavg()})")
    return status


if __name__ == "__main__":
    if sys.argv[1:] == ["measure"]:
        print(json.dumps(measure(json.loads(sys.stdin.read()))))
    else:
        import argparse

        parser = argparse.ArgumentParser(prog="python -m bench.import_kill")
        parser.add_argument("--pg", action="store_true")
        parser.add_argument("--rows", type=int, default=N_ROWS)
        parser.add_argument("--lease", type=float, default=LEASE_SECONDS)
        args = parser.parse_args()
        sys.exit(run(pg=args.pg, rows=args.rows, lease=args.lease))
