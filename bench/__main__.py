"""``python -m bench {geo,dispatch,intake,gps,import,all} [--repeats N] [--rebuild] [--pg] [--duration S] [--profile]``:
run benchmarks; exits non-zero if one reports a failure (wrong results; a missed target is only reported).
``python -m bench import-kill [--pg]`` and ``python -m bench xlsx-bomb`` are reliability runs of docs/reliability.md
(not part of ``all``).
``python -m bench home [--repeats N]``: the home pages as the case table grows, on their own small demo database."""

import argparse
import importlib
import sys

# name -> "module:function"; the function takes repeats= (and the options below) and returns an exit status
BENCHMARKS = {"geo": "bench.geo:run", "dispatch": "bench.events:run_dispatch", "intake": "bench.events:run_intake",
              "gps": "bench.gps:run", "import": "bench.registry_import:run"}
# reliability runs: on their own small demo database (no district), never part of "all"
RELIABILITY = {"import-kill": "bench.import_kill:run", "xlsx-bomb": "bench.xlsx_bomb:run"}
# on their own small demo database too (no district), not part of "all"
OWN_DEMO = {"home": "bench.home:run"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("which", choices=[*BENCHMARKS, *RELIABILITY, *OWN_DEMO, "all"])
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds per figure, at least 5 (default 7)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached demo district database")
    parser.add_argument("--pg", action="store_true",
                        help="intake: also on PostgreSQL (a temporary database on 127.0.0.1:5432, dropped after)")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="intake: seconds per load phase and round (default 10; 3 rounds)")
    parser.add_argument("--profile", action="store_true",
                        help="intake: print the cProfile top functions even when the targets are met")
    args = parser.parse_args(argv)
    if args.repeats < 5:
        parser.error("--repeats must be at least 5")
    if not 2 <= args.duration <= 120:
        parser.error("--duration must be between 2 and 120 seconds")
    if args.which in OWN_DEMO:
        module, function = OWN_DEMO[args.which].split(":")
        return getattr(importlib.import_module(module), function)(repeats=args.repeats)
    if args.which in RELIABILITY:
        module, function = RELIABILITY[args.which].split(":")
        return getattr(importlib.import_module(module), function)(pg=args.pg)
    from bench.common import setup_district

    setup_district(rebuild=args.rebuild)
    status = 0
    for name in BENCHMARKS if args.which == "all" else [args.which]:
        module, function = BENCHMARKS[name].split(":")
        run = getattr(importlib.import_module(module), function)
        if name == "geo":
            status |= run(repeats=args.repeats)
        else:
            status |= run(repeats=args.repeats, pg=args.pg, duration=args.duration, profile=args.profile)
    return status


if __name__ == "__main__":
    sys.exit(main())
