"""The --clock plugin, run in a separate pytest (so that the clock of the run around it does not matter): every xdist
worker travels before the session's fixtures are built, the clock ticks, the environment variable works, a bad value
is a usage error, and a child Python started with python_command() runs at the same moment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gridgov.testing.clock import ENV, parse_clock

ROOT = Path(__file__).resolve().parents[3]

INNER = '''
import datetime as dt
import subprocess
import time
import zoneinfo

import pytest

from gridgov.testing.clock import python_command

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
EXPECTED = dt.date.fromisoformat("{expected}")


@pytest.fixture(scope="session")
def built_at():
    return dt.datetime.now(TZ)  # like django_db_setup building the demo district


@pytest.mark.parametrize("i", range(3))
def test_at_the_clock(built_at, i):
    first = dt.datetime.now(TZ)
    time.sleep(0.02)
    assert built_at.date() == first.date() == EXPECTED, (built_at, first)
    assert first < dt.datetime.now(TZ) < built_at + dt.timedelta(minutes=1)  # ticking from there


def test_a_child_python_runs_at_the_same_moment(tmp_path):
    script = tmp_path / "child.py"
    script.write_text("import datetime, sys; print(datetime.datetime.now(datetime.UTC).timestamp(), sys.argv[1:])")
    out = subprocess.run([*python_command(), str(script), "a", "b"], capture_output=True, text=True, check=True)
    stamp, args = out.stdout.split(" ", 1)
    assert args.strip() == "['a', 'b']"
    assert abs(float(stamp) - time.time()) < 30
'''


def _pytest(tmp_path, *args, clock_env=None, expected="2027-03-01"):
    (tmp_path / "test_inner.py").write_text(INNER.format(expected=expected))
    env = {k: v for k, v in os.environ.items() if k not in (ENV, "DJANGO_SETTINGS_MODULE")}
    env["PYTHONPATH"] = str(ROOT)
    if clock_env:
        env[ENV] = clock_env
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider",
                           "-p", "gridgov.testing.clock", *args, str(tmp_path / "test_inner.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_every_xdist_worker_travels_before_the_session_fixtures(tmp_path):
    # 00:30 in Asia/Shanghai is 16:30 UTC the day before: the date must be Shanghai's
    run = _pytest(tmp_path, "--clock=2027-03-01T00:30", "-n", "2", "--dist", "each")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "8 passed" in run.stdout  # each of the two workers ran all four tests
    assert "clock: the suite runs at 2027-03-01T00:30+08:00 Asia/Shanghai" in run.stdout


def test_the_environment_variable_and_an_explicit_offset(tmp_path):
    run = _pytest(tmp_path, clock_env="2026-12-31T15:50Z", expected="2026-12-31")  # 23:50 in Shanghai
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout and "2026-12-31T23:50+08:00" in run.stdout


def test_the_option_wins_over_the_environment(tmp_path):
    run = _pytest(tmp_path, "--clock=2027-03-01", clock_env="2026-12-31T23:50")
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_bad_clock_is_a_usage_error(tmp_path):
    run = _pytest(tmp_path, "--clock=2027-02-30T08:00")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert "GRIDGOV_TEST_CLOCK" in run.stderr and "2027-02-30T08:00" in run.stderr
    assert "passed" not in run.stdout


def test_parse_clock_reads_local_time_unless_told():
    assert parse_clock("2027-03-01T08:00").isoformat() == "2027-03-01T08:00:00+08:00"
    assert parse_clock(" 2027-03-01 ").isoformat() == "2027-03-01T00:00:00+08:00"
    assert parse_clock("2026-12-31T15:50Z").isoformat() == "2026-12-31T15:50:00+00:00"
    with pytest.raises(ValueError):
        parse_clock("next Monday")
