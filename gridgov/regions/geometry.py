"""GeoJSON ⇄ shapely, with the checks and derived figures (area, centroid, bbox) grids need.

Geometry is stored as GeoJSON (WGS84 lon/lat). Areas are computed on a local equal-area projection, which is
accurate to well under 1% for districts a few tens of kilometres across.
"""

import json
import math

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape

from gridgov.common.errors import ValidationFailed

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0
# Snapping every vertex to ~1 cm leaves slivers along shared edges. Overlaps and gaps no larger than a band this
# wide along the boundary (and never less than AREA_TOLERANCE_M2) are noise, not defects of the boundary.
AREA_TOLERANCE_M2 = 10.0
NOISE_BAND_M = 0.02


def parse_geometry(geojson, *, field: str = "geometry") -> shapely.Geometry:
    """A valid Polygon/MultiPolygon from GeoJSON, or a ValidationFailed that says what is wrong."""
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise ValidationFailed(_("Geometry must be a GeoJSON object with a type."), field=field)
    if geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationFailed(
            _("Geometry must be a Polygon or MultiPolygon, not %(type)s.") % {"type": geojson.get("type")}, field=field
        )
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ValidationFailed(_("Geometry coordinates are malformed: %(error)s") % {"error": exc}, field=field) from exc
    if geom.is_empty:
        raise ValidationFailed(_("Geometry is empty."), field=field)
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationFailed(_("Coordinates must be WGS84 longitude/latitude in degrees."), field=field)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise ValidationFailed(_("Geometry is not a valid polygon: %(reason)s") % {"reason": reason}, field=field)
    return geom


PRECISION = 1e-7  # degrees, about 1 cm


def to_geojson(geom: shapely.Geometry) -> dict:
    """Polygonal GeoJSON snapped to a 1 cm grid (set_precision keeps it valid and shared edges identical)."""
    geom = shapely.set_precision(geom, PRECISION)
    if geom.geom_type == "GeometryCollection":
        geom = shapely.union_all([g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
    return json.loads(shapely.to_geojson(geom))


def _scale(lat: float) -> tuple[float, float]:
    return M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat)), M_PER_DEG_LAT


def area_m2(geom: shapely.Geometry) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    sx, sy = _scale(geom.centroid.y)
    return float(geom.area * sx * sy)


def perimeter_m(geom: shapely.Geometry) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    sx, sy = _scale(geom.centroid.y)
    return float(shapely.transform(geom.boundary, lambda xy: xy * [sx, sy]).length)


def noise_tolerance_m2(*geoms: shapely.Geometry) -> float:
    """Largest overlap/gap area between these geometries that is still snapping noise."""
    band = min(perimeter_m(g) for g in geoms) * NOISE_BAND_M if geoms else 0.0
    return max(AREA_TOLERANCE_M2, band)


def derived_fields(geom: shapely.Geometry | None) -> dict:
    """The denormalised figures stored beside the GeoJSON."""
    if geom is None or geom.is_empty:
        return {"area_m2": 0, "centroid_lon": None, "centroid_lat": None,
                "bbox_w": None, "bbox_s": None, "bbox_e": None, "bbox_n": None}
    point = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    w, s, e, n = geom.bounds
    return {"area_m2": round(area_m2(geom), 1), "centroid_lon": round(point.x, 7), "centroid_lat": round(point.y, 7),
            "bbox_w": w, "bbox_s": s, "bbox_e": e, "bbox_n": n}


def load(geojson) -> shapely.Geometry | None:
    """Stored GeoJSON → shapely, without re-validation (stored data was validated on the way in)."""
    return shape(geojson) if geojson else None
