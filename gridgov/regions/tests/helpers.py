"""Small geometry builders for tests: a separate test district beside the demo one.

Tests write coordinates around (120, 30) for readability; ``square`` and ``at`` shift them to just east of the demo
district (113.98, 22.60), so the spatial index stays compact.
"""

import datetime as dt

from gridgov.regions import services
from gridgov.regions.services import RegionSpec

D0 = dt.date(2024, 1, 1)


DX, DY = 113.98 - 120.0, 22.60 - 30.0


def at(x, y) -> tuple[float, float]:
    return round(x + DX, 9), round(y + DY, 9)


def square(x0, y0, x1, y1) -> dict:
    (x0, y0), (x1, y1) = at(x0, y0), at(x1, y1)
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def build_test_tree():
    """District 990000 → street 990000001 → community 990000001001 → grids …001 (west) and …002 (east)."""
    specs = [
        RegionSpec(code="990000", name="测试区", level="district", geometry=square(120.0, 30.0, 120.04, 30.02)),
        RegionSpec(code="990000001", name="测试街道", level="street", parent_code="990000",
                   geometry=square(120.0, 30.0, 120.04, 30.02)),
        RegionSpec(code="990000001001", name="测试社区", level="community", parent_code="990000001",
                   geometry=square(120.0, 30.0, 120.04, 30.02)),
        RegionSpec(code="990000001001001", name="西网格", level="grid", parent_code="990000001001",
                   geometry=square(120.0, 30.0, 120.02, 30.02), households=400, population=1200),
        RegionSpec(code="990000001001002", name="东网格", level="grid", parent_code="990000001001",
                   geometry=square(120.02, 30.0, 120.04, 30.02), households=420, population=1300),
    ]
    regions = services.regions_bulk_create(actor=None, specs=specs, valid_from=D0)
    return {r.code: r for r in regions}
