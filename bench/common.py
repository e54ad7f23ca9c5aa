"""Shared helpers for the benchmarks: Django on a throw-away SQLite database, the cached demo district, timing.

The district demo (4,800 base grids) takes 15-60 s to build, so the built database file is kept under ``var/bench/``
(gitignored), keyed by ``DATA_VERSION`` and a hash of the code that shapes it (the demo, region models and services,
migrations); each run copies it into a fresh temporary ``GRIDGOV_VAR_DIR``, so the cache itself is never written to.
"""

import atexit
import hashlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "var" / "bench"
DATA_VERSION = "district-v1"  # bump to force a rebuild of the cached database


# -- Django and the demo district -------------------------------------------------------------------------------------
DATA_SOURCES = ["gridgov/demo.py", "gridgov/regions/geometry.py", "gridgov/regions/models.py",
                "gridgov/regions/services.py", "gridgov/*/migrations/*.py"]


def _cache_key() -> str:
    digest = hashlib.sha256()
    for path in sorted(p for pattern in DATA_SOURCES for p in ROOT.glob(pattern)):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{DATA_VERSION}-{digest.hexdigest()[:12]}"


_district = None


def setup_district(*, rebuild: bool = False) -> dict:
    """Start Django on a temporary SQLite copy of the district demo (once per process); returns its build facts."""
    global _district
    if _district is None:
        _district = _setup_district(rebuild)
    return _district


def _setup_district(rebuild: bool) -> dict:
    var_dir = Path(tempfile.mkdtemp(prefix="gridgov-bench-"))
    atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    os.environ["GRIDGOV_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.pop("DATABASE_URL", None)  # always the embedded SQLite database in var_dir
    os.environ.setdefault("GRIDGOV_LOG_LEVEL", "WARNING")

    key = _cache_key()
    cached_db, cached_meta = CACHE_DIR / f"{key}.sqlite3", CACHE_DIR / f"{key}.json"
    db = var_dir / "gridgov.sqlite3"
    cached = not rebuild and cached_db.exists() and cached_meta.exists()
    if cached:
        shutil.copyfile(cached_db, db)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)  # a no-op on a cached database unless new migrations arrived
    if cached:
        meta = json.loads(cached_meta.read_text())
        return {**meta, "cached": True, "db": str(cached_db)}

    from gridgov.demo import demo_build

    t0 = time.perf_counter()
    demo_build(scale="district", history=False)  # the territory only, as the figures were measured
    built_s = time.perf_counter() - t0
    with connection.cursor() as cur:  # fold the WAL into the main file so one file is the whole database
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for old in CACHE_DIR.glob(f"{DATA_VERSION.split('-')[0]}-*"):  # databases of older demo code
        old.unlink()
    tmp = cached_db.with_suffix(".tmp")
    shutil.copyfile(db, tmp)
    os.replace(tmp, cached_db)
    meta = {"built_s": built_s, "key": key, "built_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    cached_meta.write_text(json.dumps(meta))
    return {**meta, "cached": False, "db": str(cached_db)}


# -- timing -----------------------------------------------------------------------------------------------------------
def interleaved(fns: dict, repeats: int) -> dict[str, list[float]]:
    """Wall-clock seconds of each function over ``repeats`` rounds; every round runs each function once, so that
    a figure and its baseline see the same machine load. Call each function once beforehand to warm it up."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def median(values) -> float:
    return statistics.median(values)


def percentile(values, q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of nothing")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# -- reporting --------------------------------------------------------------------------------------------------------
def machine_info() -> dict:
    import numpy
    import shapely

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "GEOS": shapely.geos_version_string,
        "numpy": numpy.__version__,
        "platform": platform.platform(terse=True),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def command_line() -> str:
    return " ".join([".venv/bin/python -m bench", *sys.argv[1:]])


def fmt_rate(per_s: float) -> str:
    return f"{per_s:,.0f}/s"


def print_table(headers: list[str], rows: list[list[str]]):
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))


# -- servers and subprocesses (the HTTP benchmarks) -------------------------------------------------------------------
def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago (bound to port 0, then released)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def fmt_us(seconds: float) -> str:
    us = seconds * 1e6
    return f"{us:,.0f} µs" if us >= 100 else f"{us:.1f} µs"


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:,.0f} ms" if ms >= 100 else f"{ms:.1f} ms"
