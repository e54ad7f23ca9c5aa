"""`gridgov serve` keeps one background worker beside the web server (real child processes, no web server needed)."""

import subprocess
import sys
import time

import pytest

from gridgov.web.management.commands.serve import supervise


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code])


def test_a_worker_that_dies_is_started_again_and_the_last_one_is_stopped_with_the_server():
    started, messages = [], []

    def start_worker():
        # the first two die at once (as if killed); the third keeps running until the server ends
        worker = _python("import sys; sys.exit(9)" if len(started) < 2 else "import time; time.sleep(60)")
        started.append(worker)
        return worker

    server = _python("import time, sys; time.sleep(2.5); sys.exit(3)")
    t0 = time.monotonic()
    code = supervise(server, start_worker, poll=0.05, restart_gap=0.3, log=messages.append)

    assert code == 3 and time.monotonic() - t0 < 15  # the server's exit code, once the server ends
    assert len(started) == 3  # one restart per dead worker, no more (the third stayed up)
    assert [m.split(" exited with ")[1] for m in messages] == ["9; starting another."] * 2
    assert started[-1].poll() is not None  # stopped with the server: no orphan left behind


def test_with_no_worker_it_only_waits_for_the_server():
    assert supervise(_python("import sys; sys.exit(0)"), None, poll=0.05) == 0


@pytest.mark.django_db
def test_serve_init_on_a_database_with_a_territory_keeps_it_and_prints_the_accounts():
    """`make run` a second time: the existing district is kept and every demo account is printed again."""
    import io

    from django.core.management.base import OutputWrapper

    from gridgov.regions.models import Region
    from gridgov.web.management.commands.serve import Command

    before = Region.objects.count()
    command = Command()
    out = io.StringIO()
    command.stdout = OutputWrapper(out)
    command.init_database("small")
    text = out.getvalue()
    assert "Existing database kept" in text and "gridgov-demo-2026" in text
    for username in ("sysadmin", "dispatcher", "worker_a", "police", "hotline"):
        assert username in text
    assert Region.objects.count() == before
