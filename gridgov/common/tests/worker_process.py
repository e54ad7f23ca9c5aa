"""A real `manage.py worker` process against the test database, for tests that kill it (transactional tests only:
the process sees committed rows, never a test's open transaction)."""

import os
import signal
import subprocess
from pathlib import Path

from django.db import connection

from gridgov.testing.clock import python_command

ROOT = Path(__file__).resolve().parents[3]


def database_url() -> str:
    """The test database as a DATABASE_URL another process can open (SQLite file or PostgreSQL database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(worker_id: str, *, log: Path, lease: float = 60, batch: int | None = None,
                 env: dict | None = None) -> subprocess.Popen:
    """`manage.py worker` as `gridgov serve` starts it, output to ``log`` (read it when a test fails); under --clock
    it runs at the suite's moment (gridgov.testing.clock.python_command)."""
    full_env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings",
                "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log, "ab") as out:
        return subprocess.Popen(
            [*python_command(), "manage.py", "worker", "--skip-checks", "--worker-id", worker_id,
             "--lease", str(lease), "--idle-sleep", "0.1", "--prune-every", "0",
             *(["--batch", str(batch)] if batch else [])],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
