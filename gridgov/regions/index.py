"""The in-process spatial index: "which grid is this point in" in microseconds.

One STRtree over the finest grids (grid, micro-grid, special grid), one over the upper levels (to tell a gap inside
the district from a point outside it) and one over layer grids, plus a cell table (``cells.py``) in front of the
first tree that answers most points without a geometry test. Where grids overlap, the finest level wins
(special > micro > grid) and, between grids of one level, the lowest id — the same rule on every path. The index is rebuilt lazily after grids change:
in this process at once (services call ``invalidate()`` on commit), in other processes within
``CHECK_INTERVAL`` seconds (a cheap fingerprint query).
"""

import threading
import time
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db.models import Count, Max

from gridgov.regions.cells import CellLookup, finest_order
from gridgov.regions.choices import Level, RegionStatus

CHECK_INTERVAL = 2.0
# Finer wins; a special grid (school, hospital, …) is more specific than the micro-grid around it.
_PRIORITY = {Level.GRID: 1, Level.MICRO: 2, Level.SPECIAL: 3}


@dataclass
class RegionInfo:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


@dataclass
class Located:
    finest: RegionInfo | None
    chain: list[RegionInfo]  # district … finest, top-down
    grids: list[RegionInfo]  # every grid-level region containing the point (grid, micro, special)
    layer_grid_ids: list[int] = field(default_factory=list)


class GeoIndex:
    def __init__(self):
        self._lock = threading.Lock()
        self._built = False
        self._fingerprint = None
        self._checked_at = 0.0

    # -- building ---------------------------------------------------------------------------------------------------
    def invalidate(self):
        self._built = False

    def recheck(self):
        """Compare the database's fingerprint on the next use (one query) instead of waiting CHECK_INTERVAL."""
        self._checked_at = 0.0

    def _current_fingerprint(self):
        from gridgov.regions.models import LayerGrid, Region

        r = Region.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        g = LayerGrid.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        return (r["n"], r["t"], g["n"], g["t"])

    def ensure(self):
        now = time.monotonic()
        if self._built and now - self._checked_at < CHECK_INTERVAL:
            return
        with self._lock:
            if self._built and now - self._checked_at < CHECK_INTERVAL:
                return
            fingerprint = self._current_fingerprint()
            self._checked_at = time.monotonic()
            if self._built and fingerprint == self._fingerprint:
                return
            self._build()
            self._fingerprint = fingerprint
            self._built = True

    def _build(self):
        from gridgov.regions.models import LayerGrid, Region

        rows = list(
            Region.objects.exclude(status=RegionStatus.RETIRED).values_list(
                "id", "code", "name", "level", "parent_id", "geometry"
            )
        )
        info = {}
        leaf_geoms, leaf_ids, leaf_prio = [], [], []
        upper_geoms, upper_ids = [], []
        for rid, code, name, level, parent_id, geometry in rows:
            info[rid] = RegionInfo(rid, code, name, level, parent_id)
            if not geometry:
                continue
            geom = shapely.from_geojson(_dumps(geometry))
            if level in _PRIORITY:
                leaf_geoms.append(geom)
                leaf_ids.append(rid)
                leaf_prio.append(_PRIORITY[level])
            else:
                upper_geoms.append(geom)
                upper_ids.append(rid)
        lg_rows = list(LayerGrid.objects.exclude(geometry=None).values_list("id", "geometry"))
        self.info = info
        self.leaf_tree = shapely.STRtree(leaf_geoms)
        self.leaf_ids = np.array(leaf_ids, dtype=np.int64)
        self.leaf_prio = np.array(leaf_prio, dtype=np.int8)
        self.upper_tree = shapely.STRtree(upper_geoms)
        self.upper_ids = np.array(upper_ids, dtype=np.int64)
        self.layer_tree = shapely.STRtree([shapely.from_geojson(_dumps(g)) for _, g in lg_rows])
        self.layer_ids = np.array([i for i, _ in lg_rows], dtype=np.int64)
        shapely.prepare(self.leaf_tree.geometries)
        self.cells = CellLookup(self.leaf_tree, self.leaf_ids, self.leaf_prio)

    # -- queries ----------------------------------------------------------------------------------------------------
    def chain(self, region_id: int) -> list[RegionInfo]:
        out = []
        node = self.info.get(region_id)
        while node is not None:
            out.append(node)
            node = self.info.get(node.parent_id) if node.parent_id else None
        out.reverse()
        return out

    def locate_id(self, lon: float, lat: float) -> int | None:
        """The finest grid id containing the point (the hot path), or None."""
        self.ensure()
        return self.cells.locate_id(lon, lat)

    def locate(self, lon: float, lat: float, *, with_layers: bool = True) -> Located | None:
        """Everything that contains the point; None when it lies outside the territory."""
        self.ensure()
        point = shapely.Point(lon, lat)
        hits = self.leaf_tree.query(point, predicate="intersects")
        grids = sorted((self.info[int(self.leaf_ids[h])] for h in hits), key=lambda r: (_PRIORITY[r.level], -r.id))
        if grids:
            finest = grids[-1]
            chain = self.chain(finest.id)
        else:
            upper = [self.info[int(self.upper_ids[h])] for h in self.upper_tree.query(point, predicate="intersects")]
            if not upper:
                return None
            finest = None
            deepest = max(upper, key=lambda r: len(self.chain(r.id)))
            chain = self.chain(deepest.id)
        layer_ids = []
        if with_layers:
            layer_ids = [int(self.layer_ids[h]) for h in self.layer_tree.query(point, predicate="intersects")]
        return Located(finest=finest, chain=chain, grids=grids, layer_grid_ids=layer_ids)

    def locate_many(self, lons, lats) -> np.ndarray:
        """Finest grid id for each point (0 where none), vectorised: the bulk path."""
        self.ensure()
        lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        result = self.cells.locate_many(lons, lats)
        todo = np.flatnonzero(result < 0)
        result[todo] = 0
        if not len(todo):
            return result
        pairs = self.leaf_tree.query(shapely.points(lons[todo], lats[todo]), predicate="intersects")
        if pairs.shape[1] == 0:
            return result
        src, tree_idx = pairs
        order = finest_order(src, tree_idx, self.leaf_ids, self.leaf_prio)
        src, tree_idx = src[order], tree_idx[order]
        last = np.r_[src[1:] != src[:-1], True]
        result[todo[src[last]]] = self.leaf_ids[tree_idx[last]]
        return result


def _dumps(geometry: dict) -> str:
    import json

    return json.dumps(geometry)


geo_index = GeoIndex()
