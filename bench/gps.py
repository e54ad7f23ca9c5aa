"""GPS ingest benchmark: ``patrol_points_ingest`` in micro-batches against a raw bulk write of the same rows.

``python -m bench gps [--pg] [--repeats N]`` (QUALITY.md: >= 50,000 points/s in batches of 200–1,000, and >= 40 % of
the raw rate). On the cached district database (SQLite), and with ``--pg`` also on a new PostgreSQL database on
127.0.0.1:5432 (migrated, the small demo loaded, dropped afterwards; measured in a child process).

* ingest: the service call a request handler makes (role check, per-point validation, sort, one INSERT … ON CONFLICT
  DO NOTHING statement, one outbox message per worker-day and minute, one audit row, one transaction), for
  ``WORKERS`` workers, batches of 200 and of 1,000 points (epoch milliseconds, as the phone page sends them);
* baseline, in the same rounds: the same number of rows of the same shape written raw into the same table in the
  same batches, one transaction per batch: ``executemany`` of a plain INSERT (SQLite) or ``COPY … FROM STDIN``
  (PostgreSQL); rows already formatted, no validation, no audit;
* re-sent batches (every point a duplicate), and one batch of ISO 8601 strings instead of milliseconds;
* the HTTP layer on top, in process (Django test client, no socket): ``POST /api/v1/patrols/points`` with 1,000 points;
* recomputing one worker-day summary from its raw points (what ``gridgov worker`` does once a minute per worker-day
  touched), to show why it is not done inside each batch.

Rounds interleave ingest and baseline; each figure is the median of ``repeats`` rounds. Every round's rows are fresh
(no conflicts), and the inserted counts are checked: a lost or doubled point prints FAILED.
"""

import json
import os
import subprocess
import sys
import time

from bench.common import ROOT, command_line, fmt_rate, machine_info, median, print_table

REPEATS = 7
WORKERS = 20
POINTS_PER_WORKER = 2_000  # per round and measurement: 40,000 points
BATCHES = (200, 1000)
TARGET_RATE = 50_000
TARGET_SHARE = 0.40
HTTP_BATCHES = 20


# =====================================================================================================================
# the measurement (runs inside a configured Django: this process on SQLite, a child on PostgreSQL)
# =====================================================================================================================
def _workers():
    from gridgov.accounts.models import User

    return list(User.objects.filter(role="grid_worker", grids__isnull=False, grids__geometry__isnull=False)
                .distinct().order_by("username")[:WORKERS])


def _tracks(workers, base_ms: int, step_ms: int = 500):
    """Per worker: POINTS_PER_WORKER points (epoch ms, lon, lat, accuracy) near the centre of their grid."""
    out = {}
    for k, w in enumerate(workers):
        g = w.grids.order_by("code").first()
        lon0, lat0 = g.centroid_lon, g.centroid_lat
        out[w] = [(base_ms + i * step_ms, lon0 + (i % 400) * 1e-5, lat0 + (i // 400) * 1e-5 + k * 1e-7, 8.0)
                  for i in range(POINTS_PER_WORKER)]
    return out


def _as_payload(points):
    return [{"t": ms, "lon": lon, "lat": lat, "accuracy": acc} for ms, lon, lat, acc in points]


def _chunks(seq, n):
    return [seq[i:i + n] for i in range(0, len(seq), n)]


def _raw_writer():
    """A function writing prepared rows of one batch in one transaction, and a row formatter, for this database."""
    import datetime as dt

    from django.db import connection, transaction

    from gridgov.fieldwork.models import GpsPoint

    table = GpsPoint._meta.db_table
    columns = "worker_id, session_id, recorded_at, received_at, lon, lat, accuracy_m"
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    received = dt.datetime.now(dt.UTC)
    if connection.vendor == "postgresql":
        def fmt(wid, ms, lon, lat, acc):
            return (wid, None, epoch + dt.timedelta(milliseconds=ms), received, lon, lat, acc)

        def write(rows):
            with transaction.atomic(), connection.cursor() as cur:
                with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    else:
        naive = epoch.replace(tzinfo=None)
        rec = str(received.replace(tzinfo=None))

        def fmt(wid, ms, lon, lat, acc):
            return (wid, None, str(naive + dt.timedelta(milliseconds=ms)), rec, lon, lat, acc)

        def write(rows):
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
    return fmt, write


def measure(repeats: int) -> dict:
    import datetime as dt

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from gridgov.fieldwork.models import GpsPoint
    from gridgov.fieldwork.services import patrol_day_compute, patrol_points_ingest

    workers = _workers()
    assert len(workers) == WORKERS, f"need {WORKERS} workers with grids, found {len(workers)}"
    fmt, write = _raw_writer()
    now_ms = int(time.time() * 1000)
    hour = 3_600_000
    slot = [0]

    def fresh():  # a new hour of the last 20 days for every measurement: no conflicts between rounds
        slot[0] += 1
        return now_ms - 2 * hour - slot[0] * hour

    problems = []
    results = {f"ingest_{b}": [] for b in BATCHES} | {f"raw_{b}": [] for b in BATCHES} | {"resend_1000": [],
                                                                                          "iso_1000": []}
    expected_total = GpsPoint.objects.count()

    def ingest(batch: int, iso: bool = False):
        nonlocal expected_total
        tracks = _tracks(workers, fresh())
        calls = []
        for w, pts in tracks.items():
            payload = _as_payload(pts)
            if iso:
                for p in payload:
                    p["t"] = dt.datetime.fromtimestamp(p["t"] / 1000, dt.UTC).isoformat()
            calls += [(w, c) for c in _chunks(payload, batch)]
        t0 = time.perf_counter()
        accepted = 0
        for w, c in calls:
            accepted += patrol_points_ingest(actor=w, points=c).accepted
        elapsed = time.perf_counter() - t0
        n = WORKERS * POINTS_PER_WORKER
        if accepted != n:
            problems.append(f"ingest of {n} fresh points accepted {accepted}")
        expected_total += n
        return n / elapsed, calls

    def raw(batch: int):
        nonlocal expected_total
        tracks = _tracks(workers, fresh())
        prepared = [[fmt(w.pk, *p) for p in c] for w, pts in tracks.items() for c in _chunks(pts, batch)]
        t0 = time.perf_counter()
        for rows in prepared:
            write(rows)
        elapsed = time.perf_counter() - t0
        expected_total += WORKERS * POINTS_PER_WORKER
        return WORKERS * POINTS_PER_WORKER / elapsed

    ingest(1000)  # warm-up (index, caches, statement cache)
    raw(1000)
    last_calls = None
    for _ in range(repeats):
        for b in BATCHES:
            rate, calls = ingest(b)
            results[f"ingest_{b}"].append(rate)
            results[f"raw_{b}"].append(raw(b))
            if b == 1000:
                last_calls = calls
        t0 = time.perf_counter()  # the same batches again: every point a duplicate, nothing written
        dup = sum(patrol_points_ingest(actor=w, points=c).duplicates for w, c in last_calls)
        results["resend_1000"].append(dup / (time.perf_counter() - t0))
        if dup != WORKERS * POINTS_PER_WORKER:
            problems.append(f"re-sent batches counted {dup} duplicates")
        results["iso_1000"].append(ingest(1000, iso=True)[0])
    if GpsPoint.objects.count() != expected_total:
        problems.append(f"table holds {GpsPoint.objects.count()} points, expected {expected_total}")

    # HTTP on top, in process
    client = Client()
    client.force_login(workers[0])
    bodies = []
    for _ in range(HTTP_BATCHES):
        pts = _tracks(workers[:1], fresh())[workers[0]][:1000]
        bodies.append(json.dumps({"points": _as_payload(pts)}))
    client.post("/api/v1/patrols/points", data=bodies[0], content_type="application/json")  # warm-up
    t0 = time.perf_counter()
    for body in bodies[1:]:
        r = client.post("/api/v1/patrols/points", data=body, content_type="application/json")
        if r.status_code != 200 or r.json()["accepted"] != 1000:
            problems.append(f"HTTP ingest answered {r.status_code}")
            break
    http_rate = (HTTP_BATCHES - 1) * 1000 / (time.perf_counter() - t0)

    # one worker-day recompute: the day with the most points of the first worker
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    w = workers[0]
    day = (GpsPoint.objects.filter(worker=w).annotate(d=TruncDate("recorded_at", tzinfo=timezone.get_current_timezone()))
           .values("d").annotate(n=Count("id")).order_by("-n").first())
    t0 = time.perf_counter()
    summary = patrol_day_compute(worker=w, day=day["d"])
    first = time.perf_counter() - t0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        patrol_day_compute(worker=w, day=day["d"])
        times.append(time.perf_counter() - t0)
    return {"backend": connection.vendor, "workers": WORKERS, "points_per_round": WORKERS * POINTS_PER_WORKER,
            "results": {k: median(v) for k, v in results.items()}, "spread": {k: [min(v), max(v)]
                                                                               for k, v in results.items()},
            "http_1000": http_rate, "day_points": summary.points, "day_s": median(times), "day_first_s": first,
            "problems": problems}


# =====================================================================================================================
# PostgreSQL: a child process on a temporary database
# =====================================================================================================================
CHILD = """
import json, sys, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from gridgov.demo import demo_build
demo_build(scale="small", history=False)
from bench.gps import measure
print(json.dumps(measure(int(sys.argv[1]))))
"""


def _pg(repeats: int) -> dict:
    from bench.events import create_pg_database, drop_pg_database

    name = f"gridgov_bench_gps_{os.getpid()}"
    create_pg_database(name)
    try:
        env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
               "DJANGO_SETTINGS_MODULE": "config.settings", "GRIDGOV_LOG_LEVEL": "WARNING"}
        proc = subprocess.run([sys.executable, "-c", CHILD, str(repeats)], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"PostgreSQL measurement failed:\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        drop_pg_database(name)


# =====================================================================================================================
# report
# =====================================================================================================================
def _rows(info: dict) -> list[list[str]]:
    r = info["results"]
    base = "COPY" if info["backend"] == "postgresql" else "executemany"
    rows = []
    for b in BATCHES:
        rate, raw = r[f"ingest_{b}"], r[f"raw_{b}"]
        share = rate / raw
        ok = rate >= TARGET_RATE and share >= TARGET_SHARE
        rows.append([info["backend"], f"ingest, batches of {b:,}", fmt_rate(rate), f"{base} {fmt_rate(raw)}",
                     f"{share:.0%}", "met" if ok else "MISSED"])
    rows.append([info["backend"], "re-sent batches of 1,000 (all duplicates)", fmt_rate(r["resend_1000"]), "", "",
                 ""])
    rows.append([info["backend"], "ingest, 1,000, ISO 8601 times", fmt_rate(r["iso_1000"]), "", "", ""])
    rows.append([info["backend"], "HTTP POST, 1,000 (in process)", fmt_rate(info["http_1000"]), "", "", ""])
    return rows


def run(repeats: int = REPEATS, pg: bool = False, **_options) -> int:
    from bench.common import setup_district

    setup = setup_district()
    print("GPS ingest benchmark")
    print(f"  command: {command_line()}")
    print("  machine: " + ", ".join(f"{k} {v}" for k, v in machine_info().items()))
    print(f"  SQLite: the cached district database ({setup['db']}); {WORKERS} workers x {POINTS_PER_WORKER:,} "
          f"points per measurement, {repeats} rounds, medians")
    infos = [measure(repeats)]
    if pg:
        print("  PostgreSQL: a temporary database on 127.0.0.1:5432 with the small demo …", flush=True)
        infos.append(_pg(repeats))
    rows = [row for info in infos for row in _rows(info)]
    print()
    print_table(["database", "measurement", "points/s (median)", "baseline (same rows, same batches)",
                 "share of baseline", f"target >= {TARGET_RATE:,}/s and {TARGET_SHARE:.0%}"], rows)
    print()
    for info in infos:
        print(f"  {info['backend']}: recomputing one worker-day of {info['day_points']:,} points takes "
              f"{info['day_s'] * 1000:.0f} ms (first {info['day_first_s'] * 1000:.0f} ms); inside every batch of 200 "
              f"that would cap ingest near {200 / (info['day_s'] + 200 / info['results']['ingest_200']):,.0f} "
              "points/s, hence one recompute per worker-day and minute in gridgov worker")
        lo = {k: f"{v[0]:,.0f}–{v[1]:,.0f}" for k, v in info["spread"].items()}
        print(f"  {info['backend']} spread (min–max points/s): " + "; ".join(f"{k} {v}" for k, v in lo.items()))
    problems = [p for info in infos for p in info["problems"]]
    if problems:
        print("FAILED:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print("correctness: OK (every fresh point stored once, every re-sent point counted as a duplicate)")
    return 0
