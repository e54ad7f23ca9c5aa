"""pytest plugin: run the whole suite at another moment — ``--clock=2027-03-01T08:00`` or
``GRIDGOV_TEST_CLOCK=2027-03-01T08:00`` (the option wins when both are given).

The moment is read in Asia/Shanghai (the project's ``TIME_ZONE``, where months and working days are cut) unless it
carries its own offset (``2026-12-31T14:30Z``); a date alone means midnight. The process travels there with
``time_machine.travel(..., tick=True)`` in ``pytest_configure``, i.e. before any fixture runs (so the session's
``django_db_setup`` builds the demo district "today" at that date), and the clock keeps running from there. Every
pytest-xdist worker runs ``pytest_configure`` with the same option and environment, so each worker travels too.
The live server of the browser tests runs in a thread of the same process and travels with it; the browser does not
(pages must take "now" and "today" from the server, never from the browser's clock).

A child process does not inherit the travel: a test that starts Python in a subprocess (e.g. ``manage.py worker``)
builds the command with :func:`python_command`, which under ``--clock`` starts the child through this module
(``python -m gridgov.testing.clock OFFSET script args…``) so that it runs at the same moment as its parent.

Loaded for every run by the root ``conftest.py``. See docs/testing.md.
"""

from __future__ import annotations

import datetime as dt
import os
import runpy
import sys
import time
import zoneinfo

import pytest

ENV = "GRIDGOV_TEST_CLOCK"
LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")
_KEY = pytest.StashKey[dt.datetime]()


def parse_clock(value: str) -> dt.datetime:
    """The aware moment meant by ``value`` (ISO 8601; without an offset it is Asia/Shanghai local time)."""
    text = value.strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a date or time like 2027-03-01T08:00 (Asia/Shanghai unless an offset "
                         "is given)") from None
    return moment.replace(tzinfo=LOCAL) if moment.tzinfo is None else moment


def pytest_addoption(parser):
    parser.addoption("--clock", default=None, metavar="WHEN",
                     help=f"run the suite as if it were WHEN (e.g. 2027-03-01T08:00, Asia/Shanghai unless an offset "
                          f"is given); the clock keeps ticking from there. Default: ${ENV}, else the real time.")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    value = config.getoption("clock", None) or os.environ.get(ENV, "")
    if not value.strip():
        return
    try:
        moment = parse_clock(value)
    except ValueError as exc:
        raise pytest.UsageError(f"--clock / {ENV}: {exc}") from None
    import time_machine

    # A timestamp, not the aware datetime: with a ZoneInfo destination time-machine would also rewrite the process's
    # TZ variable, which Django already sets from TIME_ZONE.
    traveller = time_machine.travel(moment.timestamp(), tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)
    config.stash[_KEY] = moment


def travelled_to(config) -> dt.datetime | None:
    """Where this run's clock was set (aware, Asia/Shanghai), or None when it runs at the real time."""
    moment = config.stash.get(_KEY, None)
    return moment.astimezone(LOCAL) if moment else None


def _describe(config) -> str | None:
    moment = travelled_to(config)
    if moment is None:
        return None
    return f"clock: the suite runs at {moment.isoformat(timespec='minutes')} Asia/Shanghai (--clock / {ENV}), ticking"


def pytest_report_header(config):
    line = _describe(config)
    return [line] if line else []


def pytest_terminal_summary(terminalreporter, config):
    line = _describe(config)
    if line:
        terminalreporter.write_line(line)


def python_command() -> list[str]:
    """How to start Python in a child process at this process's clock: ``[sys.executable]`` at the real time, and
    under travel ``[sys.executable, "-m", "gridgov.testing.clock", OFFSET]``, OFFSET being how many seconds this
    process's clock runs ahead of the real one (the child travels by the same amount, then runs its arguments)."""
    import time_machine

    if not time_machine.escape_hatch.is_travelling():
        return [sys.executable]
    offset = time.time() - time_machine.escape_hatch.time.time()
    return [sys.executable, "-m", "gridgov.testing.clock", repr(offset)]


def _run_travelled(argv: list[str]) -> None:
    """``OFFSET script [args…]`` or ``OFFSET -m module [args…]``: travel OFFSET seconds away (ticking), then run
    the script or module as ``__main__`` with those arguments, as ``python script args…`` would."""
    import time_machine

    if len(argv) < 2 or (argv[1] == "-m" and len(argv) < 3):
        raise SystemExit("usage: python -m gridgov.testing.clock OFFSET_SECONDS (script | -m module) [args…]")
    time_machine.travel(time.time() + float(argv[0]), tick=True).start()
    if argv[1] == "-m":
        sys.argv = [argv[2], *argv[3:]]
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv[1:]
        sys.path[0] = os.path.dirname(os.path.abspath(argv[1]))
        runpy.run_path(argv[1], run_name="__main__")


if __name__ == "__main__":
    _run_travelled(sys.argv[1:])
