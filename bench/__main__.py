"""``python -m bench {geo,all} [--repeats N] [--rebuild]``: run benchmarks; exits non-zero if one reports a failure."""

import argparse
import importlib
import sys

BENCHMARKS = {"geo": "bench.geo"}  # name -> module with run(repeats) -> exit status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("which", choices=[*BENCHMARKS, "all"])
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds per figure, at least 5 (default 7)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached demo district database")
    args = parser.parse_args(argv)
    if args.repeats < 5:
        parser.error("--repeats must be at least 5")
    from bench.common import setup_district

    setup_district(rebuild=args.rebuild)
    status = 0
    for name in BENCHMARKS if args.which == "all" else [args.which]:
        status |= importlib.import_module(BENCHMARKS[name]).run(repeats=args.repeats)
    return status


if __name__ == "__main__":
    sys.exit(main())
