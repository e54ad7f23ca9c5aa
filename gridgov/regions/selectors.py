"""Reads of the territory, always scoped to what the user may see."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.common.errors import NotFound
from gridgov.common.scoping import VIEW, access
from gridgov.regions.choices import Level, RegionStatus
from gridgov.regions.index import geo_index
from gridgov.regions.models import Layer, LayerGrid, Region, RegionVersion


def region_list(*, user, level: str | None = None, parent_id: int | None = None, q: str | None = None,
                include_retired: bool = False) -> QuerySet:
    qs = Region.objects.restrict(user, VIEW)
    if not include_retired:
        qs = qs.current()
    if level:
        qs = qs.filter(level=level)
    if parent_id:
        qs = qs.filter(parent_id=parent_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs.order_by("code")


def level_counts(*, user) -> dict[str, int]:
    """How many current regions of each level the user sees (what ``region_list(user=…, level=…)`` lists), in one
    query."""
    from django.db.models import Count

    rows = region_list(user=user).order_by().values_list("level").annotate(n=Count("id"))
    return dict(rows.values_list("level", "n"))


def access_region(user, region_id: int, action: str = VIEW) -> Region:
    """One region the user may act on; 404 (not 403) otherwise so existence is not disclosed."""
    return access(Region.objects.select_related("parent"), user, region_id, action=action,
                  message=_("No such region, or it is outside your area."))


def region_ancestors(region: Region) -> list[Region]:
    codes = region.path.strip("/").split("/")[:-1]
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def region_versions_as_of(*, user, on: dt.date, level: str | None = None) -> QuerySet:
    """The territory as it stood on a date: one version per region that existed then."""
    visible = Region.objects.restrict(user, VIEW).values("pk")
    qs = RegionVersion.objects.filter(region__in=visible, valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    ).exclude(status=RegionStatus.RETIRED)
    if level:
        qs = qs.filter(level=level)
    return qs.select_related("region").order_by("code")


def region_history(region: Region) -> list[RegionVersion]:
    return list(region.versions.select_related("change", "change__actor").order_by("valid_from", "id"))


def layer_list() -> QuerySet:
    return Layer.objects.all()


def access_layer(code: str) -> Layer:
    layer = Layer.objects.filter(code=code).first()
    if layer is None:
        raise NotFound(_("No grid layer has the code %(code)s.") % {"code": code})
    return layer


def layer_grids(*, user, layer: Layer) -> QuerySet:
    return LayerGrid.objects.restrict(user, VIEW).filter(layer=layer).select_related("region").order_by("code")


def regions_in_bbox(qs: QuerySet, bbox: tuple[float, float, float, float] | None) -> QuerySet:
    if not bbox:
        return qs
    w, s, e, n = bbox
    return qs.filter(bbox_w__lte=e, bbox_e__gte=w, bbox_s__lte=n, bbox_n__gte=s)


def public_grids_near(region: Region, *, margin_deg: float = 0.012, limit: int = 300) -> list[Region]:
    """The current grids around ``region`` (its box widened by ``margin_deg``, about 1.2 km), ``region`` first: what
    a citizen who scanned its QR code sees on the map to place a report. Names, codes and outlines only — public on
    the notice boards; read without an account, so nothing else of the regions leaves here."""
    box = (region.bbox_w, region.bbox_s, region.bbox_e, region.bbox_n)
    if None in box:
        return [region]
    w, s, e, n = box
    around = regions_in_bbox(Region.objects.current().filter(level=Level.GRID).exclude(pk=region.pk),
                             (w - margin_deg, s - margin_deg, e + margin_deg, n + margin_deg))
    return [region, *around.only("id", "code", "name", "level", "geometry").order_by("code")[:limit]]


def grid_name_at(*, lon: float, lat: float) -> str | None:
    """The name of the finest grid containing the point, or None (outside the district, or in a gap)."""
    grid_id = geo_index.locate_id(lon, lat)
    if grid_id is None:
        return None
    return Region.objects.filter(pk=grid_id).values_list("name", flat=True).first()


def grid_locate(*, lon: float, lat: float):
    """Where a point lies: finest grid, its ancestors and the layer grids covering it (None: outside)."""
    located = geo_index.locate(lon, lat)
    if located is None:
        return None
    layer_grids = list(LayerGrid.objects.filter(pk__in=located.layer_grid_ids).select_related("layer")
                       .order_by("layer__sort_order", "code"))
    return located, layer_grids


LEVEL_ORDER = [Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO, Level.SPECIAL]
