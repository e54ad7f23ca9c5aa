"""Track arithmetic on plain arrays (no database): distances, the segments that count, 50 m coverage cells.

A track is three numpy arrays of equal length, ordered by time: ``t`` (seconds since the epoch), ``lon`` and
``lat`` (WGS84 degrees). Distances use a local equirectangular projection around the track, which is exact to well
under 0.1 % over a grid-sized area and much cheaper than a haversine per segment.
"""

import math
from dataclasses import dataclass

import numpy as np
import shapely

M_PER_DEG_LAT = 111_320.0
EARTH_RADIUS_M = 6_371_000.0
GAP_SECONDS = 300  # a pause longer than this between two points is not time on patrol
CELL_M = 50.0  # coverage cell size


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def scale(lat0: float) -> tuple[float, float]:
    """Metres per degree of longitude and latitude at ``lat0``."""
    return M_PER_DEG_LAT * math.cos(math.radians(lat0)), M_PER_DEG_LAT


def project(lon, lat, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    sx, sy = scale(lat0)
    return (np.asarray(lon, dtype=float) - lon0) * sx, (np.asarray(lat, dtype=float) - lat0) * sy


def segment_lengths(lon, lat) -> np.ndarray:
    """Length in metres of each step between consecutive points (n - 1 values)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if len(lon) < 2:
        return np.zeros(0)
    x, y = project(lon, lat, float(lon[0]), float(np.mean(lat)))
    return np.hypot(np.diff(x), np.diff(y))


@dataclass
class Segments:
    """Per step: length (m), duration (s), speed (km/h), and whether it counts as patrol movement."""

    length: np.ndarray
    duration: np.ndarray
    speed_kmh: np.ndarray
    counted: np.ndarray  # not a jump and not across a gap


def segments(t, lon, lat, *, max_speed_kmh: float, gap_seconds: float = GAP_SECONDS) -> Segments:
    t = np.asarray(t, dtype=float)
    length = segment_lengths(lon, lat)
    duration = np.diff(t) if len(t) > 1 else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(duration > 0, length / np.maximum(duration, 1e-9) * 3.6, np.where(length > 0, np.inf, 0.0))
    counted = (speed <= max_speed_kmh) & (duration <= gap_seconds)
    return Segments(length, duration, speed, counted)


def jump_points(t, lon, lat, *, max_speed_kmh: float) -> np.ndarray:
    """Indexes of points that are spikes: reached and left at an impossible speed. Dropping them keeps the rest of the
    track (a single bad fix does not cost the worker the distance around it)."""
    seg = segments(t, lon, lat, max_speed_kmh=max_speed_kmh, gap_seconds=math.inf)
    fast = seg.speed_kmh > max_speed_kmh
    if len(fast) < 2:
        return np.zeros(0, dtype=int)
    return np.flatnonzero(fast[:-1] & fast[1:]) + 1


def grid_cells(geom, lon0: float, lat0: float, cell_m: float = CELL_M) -> set[tuple[int, int]]:
    """The cells (i, j) of a ``cell_m`` lattice around (lon0, lat0) whose centre lies inside ``geom``."""
    if geom is None or geom.is_empty:
        return set()
    sx, sy = scale(lat0)
    w, s, e, n = geom.bounds
    i0, i1 = math.floor((w - lon0) * sx / cell_m), math.floor((e - lon0) * sx / cell_m)
    j0, j1 = math.floor((s - lat0) * sy / cell_m), math.floor((n - lat0) * sy / cell_m)
    ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
    ii, jj = ii.ravel(), jj.ravel()
    cx = lon0 + (ii + 0.5) * cell_m / sx
    cy = lat0 + (jj + 0.5) * cell_m / sy
    inside = shapely.contains_xy(geom, cx, cy)
    return set(zip(ii[inside].tolist(), jj[inside].tolist()))


def visited_cells(lon, lat, counted: np.ndarray, lon0: float, lat0: float,
                  cell_m: float = CELL_M) -> set[tuple[int, int]]:
    """Cells the track passes through: every point, plus positions interpolated every half cell along the steps that
    count (so a sparse track still covers the cells between its fixes, and a jump covers nothing)."""
    x, y = project(lon, lat, lon0, lat0)
    xs, ys = [x], [y]
    if len(x) > 1:
        steps = np.flatnonzero(counted)
        if len(steps):
            dx, dy = x[steps + 1] - x[steps], y[steps + 1] - y[steps]
            n = np.maximum(1, np.ceil(np.hypot(dx, dy) / (cell_m / 2))).astype(int)
            rep = np.repeat(np.arange(len(steps)), n)
            frac = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
            xs.append(x[steps][rep] + dx[rep] * frac)
            ys.append(y[steps][rep] + dy[rep] * frac)
    x, y = np.concatenate(xs), np.concatenate(ys)
    return set(zip(np.floor(x / cell_m).astype(int).tolist(), np.floor(y / cell_m).astype(int).tolist()))


MIN_STEP_M = 15.0  # GPS jitter: movement counts once the worker is this far from the last counted position


def travelled_m(lon, lat, counted: np.ndarray, min_step_m: float = MIN_STEP_M) -> float:
    """Distance walked along the steps that count, ignoring jitter: a position is counted once it lies at least
    ``min_step_m`` from the last counted one (a worker standing still with a noisy fix walks nowhere)."""
    if len(lon) < 2:
        return 0.0
    x, y = project(lon, lat, float(lon[0]), float(np.mean(lat)))
    x, y = x.tolist(), y.tolist()
    ok = counted.tolist()
    total, ax, ay = 0.0, x[0], y[0]
    for i in range(1, len(x)):
        if not ok[i - 1]:
            ax, ay = x[i], y[i]
            continue
        d = math.hypot(x[i] - ax, y[i] - ay)
        if d >= min_step_m:
            total += d
            ax, ay = x[i], y[i]
    return total
