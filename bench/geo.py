"""Grid lookup benchmark: ``geo_index.locate_id`` one by one and ``locate_many`` in bulk on the district demo.

Targets (QUALITY.md): >= 100,000 points/s one by one and >= 500,000 points/s in bulk over 4,800 grids. Baseline,
measured in the same run: a prepared-geometry scan without an index (every grid, micro and special polygon tested
for each point, the finest hit wins).

Points come from a fixed seed: uniform over the district's bounding box ("mixed": about a quarter fall outside every
grid) or uniform over the grids' area ("inside"). Each figure is the median of ``repeats`` rounds after a warm-up;
every round runs all index and scan measurements one after another, so a figure and its baseline share the load.

Then every sampled point is checked: locate_id, locate_many and the scan must name the same finest grid
(special > micro > grid). Any disagreement prints FAILED and exits non-zero; a missed target is only reported.
"""

import sys
import time

import numpy as np
import shapely

from bench.common import (
    command_line,
    fmt_rate,
    interleaved,
    machine_info,
    median,
    percentile,
    print_table,
    setup_district,
)

SEED = 20261122
REPEATS = 7
N_ONE = 20_000  # points per one-by-one run (each of the two point sets)
N_BULK = 100_000  # points per bulk run
N_SCAN = 1_000  # points per one-by-one scan run (the scan does about 6,000 points/s)
N_SCAN_BULK = 4_000  # points per bulk scan run
TARGET_ONE, TARGET_BULK, TARGET_POLYGONS = 100_000, 500_000, 4_800


class Scan:
    """The baseline: all grid, micro and special polygons, prepared, sorted coarse to fine, tested one after another."""

    def __init__(self):
        from gridgov.regions.choices import Level, RegionStatus
        from gridgov.regions.geometry import load
        from gridgov.regions.models import Region

        priority = {Level.GRID: 1, Level.MICRO: 2, Level.SPECIAL: 3}
        rows = (Region.objects.exclude(status=RegionStatus.RETIRED).exclude(geometry=None)
                .filter(level__in=list(priority)).values_list("id", "level", "geometry"))
        rows = sorted(rows, key=lambda r: (priority[r[1]], r[0]))  # coarse to fine: the last hit is the finest
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.prio = np.array([priority[r[1]] for r in rows], dtype=np.int8)
        self.levels = [r[1] for r in rows]
        self.polys = np.array([load(r[2]) for r in rows], dtype=object)
        shapely.prepare(self.polys)

    def locate_id(self, x: float, y: float) -> int:
        hits = np.flatnonzero(shapely.intersects_xy(self.polys, x, y))
        return int(self.ids[hits[-1]]) if hits.size else 0

    def locate_many(self, xs, ys) -> np.ndarray:
        result = np.zeros(len(xs), dtype=np.int64)
        for rid, poly in zip(self.ids, self.polys):
            result[shapely.intersects_xy(poly, xs, ys)] = rid
        return result

    def reference(self, xs, ys) -> tuple[np.ndarray, np.ndarray]:
        """The scan's answers for many points, plus how many polygons of the finest level hit each (ties when > 1).

        Same prepared polygons and predicate, but each polygon only tests the points inside its bounding box (a
        sweep over the points sorted by x), so that every sampled point can be checked in a few seconds."""
        order = np.argsort(xs)
        sorted_x = xs[order]
        result = np.zeros(len(xs), dtype=np.int64)
        hits = np.zeros((4, len(xs)), dtype=np.int32)  # per priority
        for rid, p, poly, (x0, y0, x1, y1) in zip(self.ids, self.prio, self.polys, shapely.bounds(self.polys)):
            near = order[np.searchsorted(sorted_x, x0, "left"):np.searchsorted(sorted_x, x1, "right")]
            near = near[(ys[near] >= y0) & (ys[near] <= y1)]
            inside = near[shapely.intersects_xy(poly, xs[near], ys[near])]
            result[inside] = rid
            hits[p][inside] += 1
        finest = np.where(hits[3] > 0, 3, np.where(hits[2] > 0, 2, np.where(hits[1] > 0, 1, 0)))
        return result, hits[finest, np.arange(len(xs))]

    def candidates(self, x: float, y: float) -> set[int]:
        hits = np.flatnonzero(shapely.intersects_xy(self.polys, x, y))
        return {int(self.ids[h]) for h in hits if self.prio[h] == self.prio[hits[-1]]} if hits.size else {0}


def points_in_bbox(bounds, n, rng):
    x0, y0, x1, y1 = bounds
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def points_in_polygons(polys, n, rng):
    """Uniform over the polygons' area: pick a polygon by area, then rejection-sample inside its bounding box."""
    area = shapely.area(polys)
    bounds = shapely.bounds(polys)
    xs, ys = np.empty(n), np.empty(n)
    todo = np.arange(n)
    owner = rng.choice(len(polys), size=n, p=area / area.sum())
    while todo.size:
        b = bounds[owner[todo]]
        x, y = rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.intersects_xy(polys[owner[todo]], x, y)
        xs[todo[ok]], ys[todo[ok]] = x[ok], y[ok]
        todo = todo[~ok]
    return xs, ys


def one_by_one(locate, xs, ys):
    """``[locate(x, y) for each point]`` over Python floats, as a caller with one GPS fix at a time would do."""
    xl, yl = xs.tolist(), ys.tolist()
    return lambda: [locate(x, y) for x, y in zip(xl, yl)]


def latencies_us(locate, xs, ys, repeats) -> tuple[float, float]:
    """p50 and p99 of single calls (µs), each the median over ``repeats`` passes; includes ~0.1 µs of timer cost."""
    clock = time.perf_counter_ns
    p50s, p99s = [], []
    for _ in range(repeats):
        samples = []
        for x, y in zip(xs.tolist(), ys.tolist()):
            t0 = clock()
            locate(x, y)
            samples.append(clock() - t0)
        p50s.append(percentile(samples, 50) / 1000)
        p99s.append(percentile(samples, 99) / 1000)
    return median(p50s), median(p99s)


def verify(name, index_one, index_bulk, ref, ties, scan, xs, ys, codes) -> list[str]:
    """Compare one by one, bulk and the scan point by point; returns the problems found.

    Where polygons of the same level overlap (``ties`` > 1) there is no single right answer: the index may return
    any of them, but one by one and bulk must return the same one."""
    problems = []
    index_one = np.array([0 if r is None else r for r in index_one], dtype=np.int64)
    split = np.flatnonzero(index_one != index_bulk)
    if split.size:
        at_ties = int((ties[split] > 1).sum())
        i = split[0]
        tied = " / ".join(sorted(codes[c] for c in scan.candidates(xs[i], ys[i])))
        problems.append(f"{name}: {split.size} point(s) where locate_id and locate_many return different grids "
                        f"({at_ties} of them where same-level polygons overlap), e.g. ({xs[i]:.7f}, {ys[i]:.7f}): "
                        f"locate_id {codes[index_one[i]]}, locate_many {codes[index_bulk[i]]}; scan finds {tied}")
    wrong = [i for i in np.flatnonzero(index_bulk != ref)
             if ties[i] < 2 or int(index_bulk[i]) not in scan.candidates(xs[i], ys[i])]
    if wrong:
        i = wrong[0]
        problems.append(f"{name}: {len(wrong)} point(s) where the index and the scan disagree, e.g. "
                        f"({xs[i]:.7f}, {ys[i]:.7f}): index {codes[index_bulk[i]]}, scan {codes[ref[i]]}")
    if (ties > 1).any():
        print(f"  note: {name}: {(ties > 1).sum()} point(s) lie where polygons of the same level overlap "
              "(any of them is accepted from the index, but locate_id and locate_many must pick the same)")
    return problems


def run(repeats: int = REPEATS) -> int:
    started = time.perf_counter()
    setup = setup_district()
    from gridgov.regions.index import geo_index

    geo_index.invalidate()
    t0 = time.perf_counter()
    geo_index.ensure()
    index_s = time.perf_counter() - t0
    scan = Scan()
    counts = {lvl: scan.levels.count(lvl) for lvl in ("grid", "micro", "special")}
    codes = {rid: info.code for rid, info in geo_index.info.items()} | {0: "none"}

    rng = np.random.default_rng(SEED)
    bbox = shapely.total_bounds(scan.polys)
    mixed = points_in_bbox(bbox, N_ONE, rng)
    inside = points_in_polygons(scan.polys[scan.prio == 1], N_ONE, rng)
    bulk = points_in_bbox(bbox, N_BULK, rng)
    first = lambda pts, n: (pts[0][:n], pts[1][:n])  # noqa: E731

    print("grid lookup benchmark")
    print(f"  command: {command_line()}")
    print("  machine: " + ", ".join(f"{k} {v}" for k, v in machine_info().items()))
    how = f"cached, built {setup['built_at']}" if setup["cached"] else "built in this run"
    print(f"  district demo build: {setup['built_s']:.1f} s ({how}; {setup['db']})")
    print(f"  index build from the database: {index_s:.2f} s")
    print(f"  polygons: {len(scan.polys):,} ({counts['grid']:,} grids, {counts['micro']:,} micro, "
          f"{counts['special']:,} special)")
    print(f"  points: {N_ONE:,} mixed + {N_ONE:,} inside one by one, {N_BULK:,} bulk; the scan gets the first "
          f"{N_SCAN:,} (one by one) / {N_SCAN_BULK:,} (bulk); medians of {repeats} interleaved rounds")

    # -- throughput: index and scan interleaved round by round ---------------------------------------------------
    runs = {  # name: (function, points per call)
        "one_mixed": (one_by_one(geo_index.locate_id, *mixed), N_ONE),
        "one_inside": (one_by_one(geo_index.locate_id, *inside), N_ONE),
        "bulk": (lambda: geo_index.locate_many(*bulk), N_BULK),
        "scan_mixed": (one_by_one(scan.locate_id, *first(mixed, N_SCAN)), N_SCAN),
        "scan_inside": (one_by_one(scan.locate_id, *first(inside, N_SCAN)), N_SCAN),
        "scan_bulk": (lambda: scan.locate_many(*first(bulk, N_SCAN_BULK)), N_SCAN_BULK),
    }
    out = {name: fn() for name, (fn, _) in runs.items()}  # warm-up; the answers are checked below
    times = interleaved({name: fn for name, (fn, _) in runs.items()}, repeats)
    rate = {name: n / median(times[name]) for name, (_, n) in runs.items()}
    lat_mixed = latencies_us(geo_index.locate_id, *mixed, repeats)
    lat_inside = latencies_us(geo_index.locate_id, *inside, repeats)
    lat_scan = latencies_us(scan.locate_id, *first(mixed, 200), repeats)

    # -- correctness: every sampled point, index one by one vs bulk vs the scan ----------------------------------
    t0 = time.perf_counter()
    problems = []
    for name, (xs, ys), one in (("mixed", mixed, out["one_mixed"]), ("inside", inside, out["one_inside"]),
                                ("bulk", bulk, None)):
        if one is None:
            one = one_by_one(geo_index.locate_id, xs, ys)()
        ref, ties = scan.reference(xs, ys)
        problems += verify(name, one, geo_index.locate_many(xs, ys), ref, ties, scan, xs, ys, codes)
        n, scanned = (N_SCAN_BULK, out["scan_bulk"]) if name == "bulk" else (N_SCAN, out[f"scan_{name}"])
        if (np.asarray(scanned) != ref[:n]).any():
            problems.append(f"{name}: the timed scan disagrees with the reference scan")
    inside_share = (np.array([r or 0 for r in out["one_mixed"]]) > 0).mean()
    print(f"  correctness: {2 * N_ONE + N_BULK:,} points checked in {time.perf_counter() - t0:.0f} s "
          f"({inside_share:.0%} of the mixed points fall in a grid)")

    # -- the table -----------------------------------------------------------------------------------------------
    def row(what, target, name):
        measured, baseline = rate[name], rate[f"scan_{name.removeprefix('one_')}"]
        return [what, f">= {target:,}/s", fmt_rate(measured), fmt_rate(baseline), f"{measured / baseline:,.0f}x",
                "PASS" if measured >= target else "FAIL"]

    rows = [
        row("one by one, mixed points", TARGET_ONE, "one_mixed"),
        row("one by one, points inside grids", TARGET_ONE, "one_inside"),
        row(f"bulk locate_many, {N_BULK:,} points", TARGET_BULK, "bulk"),
        ["latency per call p50 / p99, mixed", "—", f"{lat_mixed[0]:.1f} / {lat_mixed[1]:.1f} µs",
         f"{lat_scan[0]:.0f} / {lat_scan[1]:.0f} µs", f"{lat_scan[0] / lat_mixed[0]:,.0f}x (p50)", "—"],
        ["latency per call p50 / p99, inside", "—", f"{lat_inside[0]:.1f} / {lat_inside[1]:.1f} µs", "", "", "—"],
        ["polygons (grids)", f">= {TARGET_POLYGONS:,}", f"{len(scan.polys):,} ({counts['grid']:,})", "", "",
         "PASS" if counts["grid"] >= TARGET_POLYGONS else "FAIL"],
    ]
    print()
    print_table(["measurement", "target", "measured (median)", "baseline: prepared scan", "speed-up", "vs target"],
                rows)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    if problems:
        sys.stdout.flush()
        print("FAILED: the lookups disagree:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print("correctness: OK (one by one, bulk and the scan agree on every sampled point)")
    return 0
