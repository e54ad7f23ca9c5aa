"""A lookup table of small square cells over the finest grids: most points are answered by arithmetic alone.

A cell lying wholly inside its finest polygon stores that polygon's id; a cell touching no polygon stores 0; any
other cell keeps its few candidate polygons, ordered coarse → fine (and, at equal level, highest id → lowest), so the
last candidate that contains the point is the answer. ``GeoIndex`` builds it with the STRtree and uses it first.
The table is built one row of cells at a time to keep temporary memory small.
"""

import math
from array import array

import numpy as np
import shapely
from shapely import lib

CELL_DEG = 0.0005  # about 50 m
MAX_CELLS = 2_000_000  # larger territories get larger cells (memory stays ~50 MB at most)


def finest_order(cell_idx: np.ndarray, poly_idx: np.ndarray, ids: np.ndarray, prio: np.ndarray) -> np.ndarray:
    """Order (cell, polygon) pairs so that, per cell, the last pair is the finest polygon with the lowest id."""
    return np.lexsort((-ids[poly_idx], prio[poly_idx], cell_idx))


class CellLookup:
    def __init__(self, tree: shapely.STRtree, ids: np.ndarray, prio: np.ndarray):
        geoms = tree.geometries
        if len(geoms) == 0:
            self.nx = self.ny = 0
            return
        self.x0, self.y0, x1, y1 = shapely.total_bounds(geoms)
        cell = max(CELL_DEG, math.sqrt((x1 - self.x0) * (y1 - self.y0) / MAX_CELLS))
        self.inv = 1.0 / cell
        self.nx = math.ceil((x1 - self.x0) * self.inv) + 1
        self.ny = math.ceil((y1 - self.y0) * self.inv) + 1
        direct = np.zeros(self.nx * self.ny, dtype=np.int64)  # 0: nothing here, >0: the answer, -1: test candidates
        cand_cells, cand_polys = [], []
        columns = np.arange(self.nx)
        for row in range(self.ny):
            y = self.y0 + row * cell
            if not len(tree.query(shapely.box(self.x0, y, x1 + cell, y + cell))):
                continue  # an empty row (territories in several pieces): skip the per-cell work
            boxes = shapely.box(self.x0 + columns * cell, y, self.x0 + (columns + 1) * cell, y + cell)
            c, p = tree.query(boxes, predicate="intersects")
            if not len(c):
                continue
            order = finest_order(c, p, ids, prio)
            c, p = c[order], p[order]
            first = np.r_[True, c[1:] != c[:-1]]
            last = np.r_[c[1:] != c[:-1], True]
            last_at = np.flatnonzero(last)
            # The finest polygon answers for the whole cell only if no other polygon of its level shares the cell.
            alone = first[last] | (prio[p[last_at]] > prio[p[np.maximum(last_at - 1, 0)]])
            whole = shapely.contains_properly(geoms[p[last]], boxes[c[last]]) & alone
            base = row * self.nx
            direct[base + c[last][whole]] = ids[p[last][whole]]
            test = np.zeros(self.nx, dtype=bool)
            test[c[last][~whole]] = True
            direct[base + np.flatnonzero(test)] = -1
            keep = test[c]
            cand_cells.append(base + c[keep])
            cand_polys.append(p[keep])
        cells = np.concatenate(cand_cells) if cand_cells else np.zeros(0, dtype=np.int64)
        polys = np.concatenate(cand_polys) if cand_polys else np.zeros(0, dtype=np.int64)
        start = np.zeros(self.nx * self.ny + 1, dtype=np.int64)
        np.cumsum(np.bincount(cells, minlength=self.nx * self.ny), out=start[1:])
        self.direct_np = direct
        # array('q') indexes faster than numpy from Python for one element at a time (the one-by-one hot path).
        self.direct = array("q", direct.tobytes())
        self.start = array("q", start.tobytes())
        self.cand_geoms, self.cand_ids = geoms[polys], ids[polys]

    def locate_id(self, lon: float, lat: float) -> int | None:
        if not self.nx:
            return None
        i = int((lon - self.x0) * self.inv)
        j = int((lat - self.y0) * self.inv)
        if i < 0 or j < 0 or i >= self.nx or j >= self.ny:
            return None
        k = j * self.nx + i
        found = self.direct[k]
        if found >= 0:
            return found or None
        s, e = self.start[k], self.start[k + 1]
        hits = np.flatnonzero(lib.intersects_xy(self.cand_geoms[s:e], lon, lat))
        return int(self.cand_ids[s + hits[-1]]) if hits.size else None

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Ids where a cell answers alone, 0 where nothing is, -1 where polygons must still be tested."""
        result = np.zeros(len(lons), dtype=np.int64)
        if not self.nx:
            return result
        i = np.floor((lons - self.x0) * self.inv).astype(np.int64)
        j = np.floor((lats - self.y0) * self.inv).astype(np.int64)
        ok = (i >= 0) & (j >= 0) & (i < self.nx) & (j < self.ny)
        result[ok] = self.direct_np[j[ok] * self.nx + i[ok]]
        return result
