"""``python -m bench import [--pg] [--repeats N]``: the registry Excel import of 100,000 people, end to end.

A fixed-seed file of 100,000 people rows (valid GB 11643 numbers, phones, some tags; about 1.5% bad rows: wrong check
digits, unknown choice values, duplicates) is written with openpyxl for a community staff account of the demo, into
the grids of its community. Then, in a fresh process per database (SQLite: a temporary copy of the cached district
demo; with ``--pg`` also a new PostgreSQL database with the small demo, dropped afterwards):

* **import** — ``import_job_create`` (as the upload page does) and then the job's outbox message delivered as
  ``gridgov worker`` delivers it (``outbox_deliver_once``, in this process), "apply the valid rows": read (openpyxl
  read-only) + validate + resolve against the database + write in chunks of 2,000 + error workbook + audit, timed end
  to end;
* **re-import** — the same file again (every row found, nothing changes: the idempotent path);
* baseline **read only** — an openpyxl read-only pass over the same file (values of every cell), median of N;
* baseline **raw write** — ``executemany`` of the very rows the import stored (already encrypted and hashed) into
  a copy of the people table, one transaction: the database's ceiling for these rows.

Memory: the peak resident set size (sampled every 20 ms from /proc) above the level before the import, and
tracemalloc's peak of Python allocations during a 10,000-row import (tracemalloc slows Python down, so it is not on
the timed run). Targets: none in QUALITY.md beyond "100,000 rows import"; memory must stay bounded (flat in rows).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import ROOT, command_line, fmt_rate, loadavg, machine_info, median, print_table

N_ROWS = 100_000
N_TRACE = 10_000
SEED = 20261123
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


# =====================================================================================================================
# the measuring process
# =====================================================================================================================
def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PeakRss:
    def __init__(self):
        self.peak, self._stop = 0, threading.Event()

    def __enter__(self):
        self.start = _rss_kb()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_kb())
            self._stop.wait(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()
        self.peak = max(self.peak, _rss_kb())


def write_file(path: Path, grid_codes: list[str], n: int, *, seed: int = SEED, valid: list | None = None) -> int:
    """The people file; returns how many rows are bad on purpose (the numbers of the good rows go into ``valid``)."""
    import random

    from openpyxl import Workbook

    from gridgov.registry.excel import LAYOUTS
    from gridgov.registry.idcard import check_digit

    rng = random.Random(seed)
    headers = [c.header for c in LAYOUTS["people"].columns]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    ws.append(headers)
    col = {h: i for i, h in enumerate(headers)}
    tags = ["独居老人", "残疾人", "低保户", "社区矫正"]
    bad = 0
    previous = None
    for i in range(n):
        born = f"{1940 + i % 80}{1 + (i // 80) % 12:02d}{1 + (i // 960) % 28:02d}"
        first17 = f"110105{born}{(i // 26880) % 1000:03d}"
        number = first17 + check_digit(first17)
        row = [None] * len(headers)
        row[col["姓名"]] = f"居民{i}"
        row[col["证件号码"]] = number
        row[col["人口类型"]] = rng.choice(["户籍人口", "流动人口"])
        row[col["联系电话"]] = f"13{rng.randrange(10**9):09d}"
        row[col["网格编码"]] = rng.choice(grid_codes)
        row[col["现住址"]] = f"幸福路 {i % 300} 号 {i % 20} 栋 {i % 30}0{i % 4}"
        if i % 20 == 0:
            row[col["标签"]] = rng.choice(tags)
        if i % 100 == 7:  # wrong check digit
            row[col["证件号码"]] = first17 + ("0" if number[-1] != "0" else "1")
            bad += 1
        elif i % 250 == 11:  # unknown choice value
            row[col["人口类型"]] = "游客"
            bad += 1
        elif i % 500 == 13 and previous:  # a duplicate of the row before
            row = list(previous)
            bad += 1
        elif valid is not None:
            valid.append(number)
        previous = row
        ws.append(row)
    wb.save(path)
    return bad


def measure(cfg: dict) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    if cfg.get("build_small_demo"):
        call_command("migrate", verbosity=0)
        from gridgov.demo import demo_build

        demo_build(scale="small", history=False)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction
    from openpyxl import load_workbook

    from gridgov.accounts.models import User
    from gridgov.common.models import OutboxMessage
    from gridgov.common.outbox import outbox_deliver_once
    from gridgov.registry.imports import TERMINAL, import_job_create
    from gridgov.registry.models import Person

    media = Path(tempfile.mkdtemp(prefix="gridgov-bench-media-"))
    from django.conf import settings

    settings.MEDIA_ROOT = media
    user = User.objects.filter(role="community_staff", is_active=True, region__isnull=False).order_by("username")[0]
    from gridgov.regions.models import Region

    grids = list(Region.objects.filter(path__startswith=user.region.path, level="grid", status="active")
                 .values_list("code", flat=True))
    work = Path(cfg["workdir"])
    big, small = work / "people-100k.xlsx", work / "people-10k.xlsx"
    t0 = time.perf_counter()
    bad = write_file(big, grids, cfg["rows"])
    write_file(small, grids, N_TRACE, seed=SEED + 1)
    generated_s = time.perf_counter() - t0

    def read_only_pass():
        wb = load_workbook(big, read_only=True, data_only=True)
        n = sum(1 for _ in wb["数据"].iter_rows(min_row=2, values_only=True))
        wb.close()
        return n

    def run_import(path: Path):
        """Upload as the web page does, then run the job as `gridgov worker` does: through its outbox message."""
        data = path.read_bytes()
        job = import_job_create(actor=user, kind="people", mode="valid_rows",
                                upload=SimpleUploadedFile(path.name, data))
        while job.status not in TERMINAL:
            if outbox_deliver_once(worker_id="bench", batch=1).failed:
                raise RuntimeError(OutboxMessage.objects.get(dedupe_key=f"registry.import:{job.pk}").last_error)
            job.refresh_from_db()
        return job

    read_only_pass()  # warm-up (file cache)
    read_times = []
    for _ in range(cfg["repeats"]):
        t0 = time.perf_counter()
        assert read_only_pass() == cfg["rows"]
        read_times.append(time.perf_counter() - t0)

    before_people = Person.objects.count()
    with PeakRss() as rss:
        t0 = time.perf_counter()
        job = run_import(big)
        import_s = time.perf_counter() - t0
    created = Person.objects.count() - before_people
    with PeakRss() as rss2:
        t0 = time.perf_counter()
        again = run_import(big)
        reimport_s = time.perf_counter() - t0

    # raw write: the very rows the import stored, executemany into a copy of the table, one transaction
    table = Person._meta.db_table
    columns = [f.column for f in Person._meta.concrete_fields if f.column != "id"]
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE created_by_id = %s", [user.pk])
        rows = cur.fetchall()
        cur.execute(f"CREATE TABLE bench_person_raw AS SELECT * FROM {table} WHERE 1 = 0")
    raw_times = []
    for _ in range(cfg["repeats"]):
        with connection.cursor() as cur:
            cur.execute("DELETE FROM bench_person_raw")
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(f"INSERT INTO bench_person_raw ({', '.join(columns)}) VALUES "
                            f"({', '.join(['%s'] * len(columns))})", rows)
        raw_times.append(time.perf_counter() - t0)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_person_raw")

    import tracemalloc

    tracemalloc.start()
    traced = run_import(small)
    _cur, trace_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shutil.rmtree(media, ignore_errors=True)
    return {
        "backend": connection.vendor, "rows": cfg["rows"], "bad_rows": bad, "grids": len(grids),
        "user": user.username, "generated_s": generated_s, "file_mb": big.stat().st_size / 1e6,
        "import_s": import_s, "status": job.status, "created": job.created_rows, "error_rows": job.error_rows,
        "db_created": created, "reimport_s": reimport_s,
        "again": [again.created_rows, again.updated_rows, again.unchanged_rows, again.error_rows],
        "read_s": read_times, "raw_s": raw_times, "raw_rows": len(rows),
        "rss_start_mb": rss.start / 1024, "rss_peak_mb": rss.peak / 1024, "rss2_peak_mb": rss2.peak / 1024,
        "trace_peak_mb": trace_peak / 1e6, "trace_rows": N_TRACE, "trace_status": traced.status,
    }


# =====================================================================================================================
# the parent
# =====================================================================================================================
def _run_child(cfg: dict, env: dict) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.registry_import", "measure"], input=json.dumps(cfg),
                          text=True, capture_output=True, cwd=ROOT, env=env, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"import benchmark failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(repeats: int = 5, pg: bool = False, rows: int = N_ROWS, **_options) -> int:
    from bench.common import setup_district

    started = time.perf_counter()
    setup = setup_district()
    repeats = min(repeats, 5)  # a round of the baselines reads or writes 100,000 rows: five are plenty
    print("registry Excel import benchmark (100,000 people rows)")
    print(f"  command: {command_line()}")
    print("  machine: " + ", ".join(f"{k} {v}" for k, v in machine_info().items()))
    results, status = [], 0
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base_env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "GRIDGOV_LOG_LEVEL": "WARNING"})
    for backend in ["sqlite", *(["postgresql"] if pg else [])]:
        work = Path(tempfile.mkdtemp(prefix="gridgov-bench-import-"))
        env = dict(base_env)
        cfg = {"workdir": str(work), "rows": rows, "repeats": repeats}
        try:
            if backend == "sqlite":
                shutil.copyfile(setup["db"], work / "gridgov.sqlite3")
                env["GRIDGOV_VAR_DIR"] = str(work)
            else:
                from bench.events import create_pg_database, drop_pg_database

                name = f"gridgov_bench_import_{os.getpid()}"
                create_pg_database(name)
                env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
                env["GRIDGOV_VAR_DIR"] = str(work)
                cfg["build_small_demo"] = True
            print(f"  {backend}: running …", flush=True)
            results.append(_run_child(cfg, env))
        finally:
            if backend == "postgresql":
                drop_pg_database(name)
            shutil.rmtree(work, ignore_errors=True)
    table = []
    for r in results:
        read_rate = r["rows"] / median(r["read_s"])
        raw_rate = r["raw_rows"] / median(r["raw_s"])
        rate = r["rows"] / r["import_s"]
        ok = (r["status"] == "done" and r["created"] == r["db_created"] == r["rows"] - r["bad_rows"]
              and r["error_rows"] == r["bad_rows"] and r["again"] == [0, 0, r["created"], r["bad_rows"]])
        status |= 0 if ok else 1
        table.append([r["backend"], f"{r['import_s']:.1f} s = {fmt_rate(rate)}",
                      f"{r['reimport_s']:.1f} s = {fmt_rate(r['rows'] / r['reimport_s'])}",
                      f"{fmt_rate(read_rate)} ({rate / read_rate:.2f}x)",
                      f"{fmt_rate(raw_rate)} ({rate / raw_rate:.3f}x)",
                      f"+{r['rss_peak_mb'] - r['rss_start_mb']:.0f} MB (peak {r['rss_peak_mb']:.0f} MB)",
                      f"{r['trace_peak_mb']:.1f} MB", "OK" if ok else "WRONG"])
        print(f"  {r['backend']}: {r['rows']:,} rows ({r['bad_rows']} bad on purpose) in {r['grids']} grids of "
              f"{r['user']}, file {r['file_mb']:.1f} MB (written in {r['generated_s']:.0f} s); created "
              f"{r['created']:,}, error rows {r['error_rows']}; re-import created/updated/unchanged/errors "
              f"{r['again']}")
    print()
    print_table(["database", "import (read+validate+write)", "re-import (nothing changes)",
                 "baseline: openpyxl read only (import ÷ it)", "baseline: raw executemany (import ÷ it)",
                 "RSS during import", f"tracemalloc peak, {N_TRACE:,} rows", "correct"], table)
    print(f"\n(total {time.perf_counter() - started:.0f} s, load average now {loadavg()})")
    return status


if __name__ == "__main__":
    if sys.argv[1:] == ["measure"]:
        print(json.dumps(measure(json.loads(sys.stdin.read()))))
    else:
        sys.exit(run(pg="--pg" in sys.argv))
