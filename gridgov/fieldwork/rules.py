"""Anomaly rules: small pure functions over plain data. Each returns ``None`` (nothing to see) or a ``Finding`` with a
score and the evidence a reviewer needs (numbers, and the points or records concerned). The thresholds are
arguments with the defaults documented in docs/anomalies.md; ``gridgov.fieldwork.detect`` feeds them from the
database.

Tracks are (t, lon, lat) arrays ordered by time, t in seconds since the epoch.
"""

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from gridgov.fieldwork import track


@dataclass
class Finding:
    score: float
    evidence: dict = field(default_factory=dict)


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(float(t), tz=dt.UTC).isoformat()


def _pt(t, lon, lat) -> dict:
    return {"t": _iso(t), "lon": round(float(lon), 6), "lat": round(float(lat), 6)}


# -- tracks -------------------------------------------------------------------------------------------------------------
def impossible_speed(t, lon, lat, *, max_speed_kmh: float = 120, min_jump_m: float = 200) -> Finding | None:
    """Steps faster than ``max_speed_kmh`` covering at least ``min_jump_m`` (a few metres of GPS jitter between two
    fixes a second apart is not a jump)."""
    t, lon, lat = np.asarray(t, float), np.asarray(lon, float), np.asarray(lat, float)
    if len(t) < 2:
        return None
    seg = track.segments(t, lon, lat, max_speed_kmh=max_speed_kmh, gap_seconds=float("inf"))
    bad = np.flatnonzero((seg.speed_kmh > max_speed_kmh) & (seg.length >= min_jump_m))
    if not len(bad):
        return None
    top = bad[np.argsort(-seg.length[bad])][:5]
    jumps = [{"from": _pt(t[i], lon[i], lat[i]), "to": _pt(t[i + 1], lon[i + 1], lat[i + 1]),
              "metres": round(float(seg.length[i])), "seconds": round(float(seg.duration[i]), 1),
              "kmh": None if not np.isfinite(seg.speed_kmh[i]) else round(float(seg.speed_kmh[i]))}
             for i in sorted(top)]
    finite = seg.speed_kmh[bad][np.isfinite(seg.speed_kmh[bad])]
    return Finding(score=float(len(bad)), evidence={
        "jumps": len(bad), "max_kmh": round(float(finite.max())) if len(finite) else None,
        "limit_kmh": max_speed_kmh, "examples": jumps})


def never_moves(t, lon, lat, *, min_minutes: float = 30, radius_m: float = 30,
                share: float = 0.95) -> Finding | None:
    """A day's patrol of at least ``min_minutes`` whose points (all but the ``1 - share`` farthest, i.e. GPS noise)
    stay within ``radius_m`` of their median position."""
    t, lon, lat = np.asarray(t, float), np.asarray(lon, float), np.asarray(lat, float)
    if len(t) < 3:
        return None
    minutes = (t[-1] - t[0]) / 60
    if minutes < min_minutes:
        return None
    lon0, lat0 = float(np.median(lon)), float(np.median(lat))
    x, y = track.project(lon, lat, lon0, lat0)
    spread = float(np.quantile(np.hypot(x, y), share))
    if spread > radius_m:
        return None
    return Finding(score=round(minutes, 1), evidence={
        "minutes": round(minutes, 1), "radius_m": round(spread, 1), "limit_m": radius_m, "points": int(len(t)),
        "centre": {"lon": round(lon0, 6), "lat": round(lat0, 6)}, "from": _iso(t[0]), "to": _iso(t[-1])})


def _rounded(lon, lat, decimals: int) -> np.ndarray:
    """Positions rounded to ``decimals`` as one integer key each (comparable with ==)."""
    f = 10 ** decimals
    ilon = np.round(np.asarray(lon, float) * f).astype(np.int64)
    ilat = np.round(np.asarray(lat, float) * f).astype(np.int64)
    return ilon * 4_000_000_000 + ilat


def sequence_similarity(a, b, *, max_offset: int = 20) -> float:
    """Share of positions equal between two key sequences aligned at the best offset (|offset| ≤ max_offset), over
    the longer sequence: 1.0 for a copy, whatever its timestamps."""
    a, b = np.asarray(a), np.asarray(b)
    if not len(a) or not len(b):
        return 0.0
    longest = max(len(a), len(b))
    best = 0
    for offset in range(-min(max_offset, len(b) - 1), min(max_offset, len(a) - 1) + 1):
        start, end = max(0, -offset), min(len(b), len(a) - offset)  # a[i + offset] against b[i]
        best = max(best, int(np.count_nonzero(a[start + offset:end + offset] == b[start:end])))
        if best == longest:
            break
    return best / longest


def copied_track(t, lon, lat, others: dict, *, threshold: float = 0.9, decimals: int = 4, min_points: int = 20,
                 min_extent_m: float = 100) -> Finding | None:
    """The day's track equals a track of another day (``others``: day → (t, lon, lat)) on at least ``threshold`` of
    its point sequence after rounding to ``decimals`` (4 ≈ 10 m): the same shape shifted in time. Tracks that hardly
    move are left to ``never_moves`` (two days standing at one door look alike honestly)."""
    if len(t) < min_points:
        return None
    x, y = track.project(lon, lat, float(lon[0]), float(lat[0]))
    if max(float(np.ptp(x)), float(np.ptp(y))) < min_extent_m:
        return None
    mine = _rounded(lon, lat, decimals)
    best_day, best = None, 0.0
    for day, (ot, olon, olat) in sorted(others.items()):
        if len(ot) < min_points or abs(len(ot) - len(t)) > (1 - threshold) * max(len(ot), len(t)):
            continue
        similarity = sequence_similarity(mine, _rounded(olon, olat, decimals))
        if similarity > best:
            best_day, best = day, similarity
    if best_day is None or best < threshold:
        return None
    ot = others[best_day][0]
    shift_h = (float(t[0]) - float(ot[0])) / 3600
    return Finding(score=round(best, 3), evidence={
        "same_as_day": best_day.isoformat(), "similarity": round(best, 3), "threshold": threshold,
        "points": int(len(t)), "other_points": int(len(ot)), "shift_hours": round(shift_h, 2)})


def outside_grid(*, moving_seconds: int, inside_seconds: int, min_minutes: float = 30,
                 max_outside_share: float = 0.5) -> Finding | None:
    """A patrol of at least ``min_minutes`` that spent more than ``max_outside_share`` of its time outside the
    worker's grids (read from the day's summary)."""
    if moving_seconds < min_minutes * 60:
        return None
    outside = 1 - inside_seconds / moving_seconds
    if outside <= max_outside_share:
        return None
    return Finding(score=round(outside, 3), evidence={
        "outside_share": round(outside, 3), "limit": max_outside_share,
        "minutes_on_patrol": round(moving_seconds / 60, 1), "minutes_inside": round(inside_seconds / 60, 1)})


# -- work records --------------------------------------------------------------------------------------------------------
def month_end_burst(times: list[dt.date], *, year: int, month: int, last_days: int = 3, threshold: float = 0.5,
                    min_records: int = 10) -> Finding | None:
    """At least ``min_records`` records in the month of which more than ``threshold`` fall on its last ``last_days``
    days (spread evenly they would be about a tenth): bulk entry at month end."""
    in_month = [d for d in times if d.year == year and d.month == month]
    if len(in_month) < min_records:
        return None
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    cut = first_of_next - dt.timedelta(days=last_days)
    late = sum(1 for d in in_month if d >= cut)
    share = late / len(in_month)
    if share <= threshold:
        return None
    return Finding(score=round(share, 3), evidence={
        "records": len(in_month), "in_last_days": late, "last_days": last_days, "share": round(share, 3),
        "threshold": threshold, "from": cut.isoformat()})


def quick_mediation(settled: list[tuple[int, dt.datetime]], *, window_minutes: float = 60,
                    min_disputes: int = 5) -> Finding | None:
    """At least ``min_disputes`` disputes (id, settled_at) settled by one mediator within ``window_minutes``."""
    ordered = sorted(settled, key=lambda r: r[1])
    window = dt.timedelta(minutes=window_minutes)
    best_start, best_n, j = 0, 0, 0
    for i in range(len(ordered)):
        while ordered[i][1] - ordered[j][1] > window:
            j += 1
        if i - j + 1 > best_n:
            best_start, best_n = j, i - j + 1
    if best_n < min_disputes:
        return None
    chosen = ordered[best_start:best_start + best_n]
    return Finding(score=float(best_n), evidence={
        "disputes": best_n, "window_minutes": window_minutes, "threshold": min_disputes,
        "from": chosen[0][1].isoformat(), "to": chosen[-1][1].isoformat(), "ids": [pk for pk, _ in chosen]})
