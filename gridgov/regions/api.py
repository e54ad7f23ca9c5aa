"""Territory API: regions, history, locate, layers, validation, GeoJSON import/export."""

import datetime as dt
from typing import Annotated

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from ninja import File, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from gridgov.common.api_errors import ErrorOut, responses
from gridgov.common.api_types import MAX_COUNT, Count, Date, Id, Page
from gridgov.common.errors import NotFound, PermissionDenied, ValidationFailed
from gridgov.common.masking import mask_phone
from gridgov.common.scoping import may, territory
from gridgov.regions import io, selectors, services
from gridgov.regions.choices import ChangeKind, Level, RegionStatus
from gridgov.regions.index import geo_index
from gridgov.regions.models import Region
from gridgov.regions.services import RegionSpec
from gridgov.regions.validation import grid_validation_report

router = Router(tags=["territory"])


def _nobody(region) -> dict:
    return {"workers": [], "staff": [], "departments": []}


# The people and departments responsible for a region live in the accounts app, which sits above the territory:
# the API root (gridgov/api.py), which sees every app, sets this to ``accounts.selectors.region_responsible``.
region_responsible = _nobody
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_BULK_POINTS = 10_000
MAX_PARTS = 50  # grids split into or merged from, at once
MAX_MEMBERS = 5_000  # base grids in one merged layer grid
Code = Annotated[str, Field(max_length=32, description="A region's or a layer's code")]
Text = Annotated[str, Field(max_length=100)]
BBox = Annotated[str, Field(max_length=200, description="west,south,east,north in degrees")]


def _require_editor(request):
    if not may(request.user, Region, "change"):
        raise PermissionDenied(_("Only the system administrator may change the territory."))


def _require_territory(request):
    """Locate answers for any point of the district (grid names and codes are public on notice boards), but only
    to accounts that work with the territory at all: not to the audit administrator."""
    if territory(request.user).empty:
        raise PermissionDenied(_("Your role has no access to the territory."))


# --- schemas -------------------------------------------------------------------------------------------------------
class RegionRef(Schema):
    id: int
    code: str
    name: str
    level: str


class RegionOut(Schema):
    id: int
    code: str
    name: str
    level: str
    level_label: str
    area_type: str
    special_kind: str
    parent_id: int | None
    households: int
    population: int
    villager_groups: str
    status: str
    valid_from: dt.date
    valid_to: dt.date | None
    area_m2: float
    centroid: list[float] | None


class PersonOut(Schema):
    id: int
    name: str
    role: str
    role_label: str
    employment: str
    phone: str


class DepartmentRef(Schema):
    id: int
    code: str
    name: str
    kind: str
    phone: str


class LayerGridRef(Schema):
    id: int
    layer: str
    layer_name: str
    code: str
    name: str


class RegionDetailOut(RegionOut):
    ancestors: list[RegionRef]
    children_count: int
    workers: list[PersonOut]
    staff: list[PersonOut]
    departments: list[DepartmentRef]
    layer_grids: list[LayerGridRef]


class VersionOut(Schema):
    valid_from: dt.date
    valid_to: dt.date | None
    code: str
    name: str
    status: str
    households: int
    population: int
    change_kind: str | None
    change_label: str | None
    reason: str
    actor: str | None
    related: list[str]


class LocateOut(Schema):
    lon: float
    lat: float
    grid: RegionRef | None = Field(description="The finest grid containing the point (null in a gap).")
    ancestors: list[RegionRef] = Field(description="District … finest grid, top-down.")
    grids: list[RegionRef] = Field(description="Every grid, micro-grid and special grid containing the point.")
    layer_grids: list[LayerGridRef]


class BulkLocateIn(Schema):
    points: list[Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        ..., min_length=1, max_length=MAX_BULK_POINTS, description="[[lon, lat], …], at most 10,000")


class BulkLocateOut(Schema):
    grids: list[str | None]


class SpecIn(Schema):
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=100)
    geometry: dict | None = None
    households: Count = 0
    population: Count = 0
    villager_groups: str = Field("", max_length=200)


class RegionCreateIn(SpecIn):
    level: Level
    parent: str | None = Field(None, max_length=32, description="Parent region code")
    area_type: str = Field("urban", max_length=8)
    special_kind: str = Field("", max_length=16)
    status: RegionStatus = RegionStatus.ACTIVE
    effective_date: Date | None = None
    reason: str = Field("", max_length=500)


class RegionChangeIn(Schema):
    effective_date: Date
    reason: str = Field("", max_length=500)
    geometry: dict | None = None
    name: str | None = Field(None, max_length=100)
    households: int | None = Field(None, ge=0, le=MAX_COUNT)
    population: int | None = Field(None, ge=0, le=MAX_COUNT)
    villager_groups: str | None = Field(None, max_length=200)


class SplitIn(Schema):
    effective_date: Date
    reason: str = Field("", max_length=500)
    parts: list[SpecIn] = Field(..., min_length=2, max_length=MAX_PARTS)


class MergeIn(Schema):
    regions: list[Annotated[str, Field(max_length=32)]] = Field(..., min_length=2, max_length=MAX_PARTS,
                                                                 description="Codes of the sibling grids to merge")
    into: SpecIn
    effective_date: Date
    reason: str = Field("", max_length=500)


class StatusIn(Schema):
    status: RegionStatus
    effective_date: Date
    reason: str = Field("", max_length=500)


class LayerOut(Schema):
    code: str
    name: str
    kind: str
    color: str
    description: str
    grid_count: int


class LayerIn(Schema):
    code: str = Field(..., max_length=32, pattern=r"^[a-z0-9_-]{1,32}$")
    name: str = Field(..., min_length=1, max_length=64)
    kind: str = Field("thematic", max_length=16)
    color: str = Field("#3366cc", max_length=16)
    description: str = Field("", max_length=300)


class LayerGridIn(Schema):
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=100)
    geometry: dict | None = None
    members: list[Annotated[str, Field(max_length=32)]] | None = Field(
        None, max_length=MAX_MEMBERS, description="Codes of whole base grids (merged layers)")


class LayerGridOut(Schema):
    id: int
    code: str
    name: str
    households: int
    population: int
    region_id: int | None


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    errors: list[dict]


# --- helpers -------------------------------------------------------------------------------------------------------
def region_ref(info) -> dict:
    return {"id": info.id, "code": info.code, "name": info.name, "level": info.level}


def person_ref(user) -> dict:
    return {"id": user.pk, "name": user.display_name, "role": user.role, "role_label": user.get_role_display(),
            "employment": user.employment, "phone": mask_phone(user.phone)}


def layer_grid_ref(grid) -> dict:
    return {"id": grid.pk, "layer": grid.layer.code, "layer_name": grid.layer.name, "code": grid.code,
            "name": grid.name}


def _parse_bbox(bbox: str | None):
    if not bbox:
        return None
    try:
        w, s, e, n = (float(v) for v in bbox.split(","))
    except ValueError as exc:
        raise ValidationFailed(_("bbox must be four numbers: west,south,east,north."), field="bbox") from exc
    if not (w <= e and s <= n):
        raise ValidationFailed(_("bbox must be four numbers: west,south,east,north."), field="bbox")
    return w, s, e, n


def _read_upload(file: UploadedFile | None, request) -> bytes:
    if file is None:
        body = request.body
        if not body:
            raise ValidationFailed(_("Upload a GeoJSON file."), field="file")
        return body
    if file.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20},
                               field="file")
    return file.read()


# --- locate --------------------------------------------------------------------------------------------------------
@router.get("/grids/locate", response=responses(LocateOut, not_found=True), summary="Which grid is this point in")
def locate(request, lon: float = Query(..., ge=-180, le=180), lat: float = Query(..., ge=-90, le=90)):
    _require_territory(request)
    found = selectors.grid_locate(lon=lon, lat=lat)
    if found is None:
        return Status(404, {"code": "outside", "message": _("This point lies outside the district."), "field": "lon"})
    located, layer_grids = found
    return {
        "lon": lon, "lat": lat, "grid": region_ref(located.finest) if located.finest else None,
        "ancestors": [region_ref(r) for r in located.chain], "grids": [region_ref(r) for r in located.grids],
        "layer_grids": [layer_grid_ref(g) for g in layer_grids],
    }


@router.post("/grids/locate", response=responses(BulkLocateOut), summary="Locate many points at once")
def locate_many(request, payload: BulkLocateIn):
    _require_territory(request)
    for i, point in enumerate(payload.points):
        if len(point) != 2 or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
            raise ValidationFailed(_("Each point is [lon, lat] in degrees."), field=f"points.{i}")
    ids = geo_index.locate_many([p[0] for p in payload.points], [p[1] for p in payload.points])
    codes = {rid: geo_index.info[rid].code for rid in set(ids.tolist()) if rid}
    return {"grids": [codes.get(int(rid)) for rid in ids]}


@router.get("/grids/validation", response=responses(dict, not_found=True),
            summary="Grid validation report (overlaps, gaps, crossings, size)")
def validation(request, root: Code | None = None):
    qs = Region.objects.restrict(request.user)
    if root:
        region = qs.filter(code=root).first()
        if region is None:
            raise NotFound(_("No such region, or it is outside your area."), field="root")
        qs = qs.subtree(region)
    return grid_validation_report(regions_qs=qs).as_dict()


# --- regions -------------------------------------------------------------------------------------------------------
@router.get("/regions", response=responses(list[RegionOut]), summary="Regions visible to you")
@paginate(Page, page_size=100)
def region_list(request, level: Level | None = None, parent: Id | None = None, q: Text | None = None,
                include_retired: bool = False):
    return selectors.region_list(user=request.user, level=level, parent_id=parent, q=q,
                                 include_retired=include_retired)


@router.get("/regions/geojson", response=responses(dict), summary="Regions as a GeoJSON FeatureCollection (for maps)")
@decorate_view(gzip_page)
def region_geojson(request, level: Level | None = None, parent: Id | None = None, bbox: BBox | None = None,
                   as_of: Date | None = None, q: Text | None = None):
    features = []
    if as_of:
        versions = selectors.region_versions_as_of(user=request.user, on=as_of, level=level)
        for v in versions:
            features.append({"type": "Feature", "id": v.region_id, "geometry": v.geometry,
                             "properties": {"id": v.region_id, "code": v.code, "name": v.name, "level": v.level,
                                            "status": v.status, "households": v.households}})
    else:
        qs = selectors.region_list(user=request.user, level=level, parent_id=parent, q=q)
        qs = selectors.regions_in_bbox(qs, _parse_bbox(bbox))
        for r in qs.only("id", "code", "name", "level", "status", "households", "population", "geometry",
                         "parent_id", "special_kind"):
            features.append({"type": "Feature", "id": r.pk, "geometry": r.geometry,
                             "properties": {"id": r.pk, "code": r.code, "name": r.name, "level": r.level,
                                            "status": r.status, "households": r.households,
                                            "population": r.population, "parent_id": r.parent_id,
                                            "special_kind": r.special_kind}})
    return JsonResponse({"type": "FeatureCollection", "features": features})


@router.get("/regions/export", response=responses(dict, not_found=True),
            summary="Export regions as re-importable GeoJSON")
@decorate_view(gzip_page)
def region_export(request, level: Level | None = None, root: Code | None = None):
    qs = Region.objects.restrict(request.user).current()
    if root:
        region = qs.filter(code=root).first()
        if region is None:
            raise NotFound(_("No such region, or it is outside your area."), field="root")
        qs = qs.subtree(region)
    if level:
        qs = qs.filter(level=level)
    response = JsonResponse(io.territory_export(regions=qs), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="regions.geojson"'
    return response


@router.post("/regions/import", response=responses({200: ImportOut, 422: ImportOut | ErrorOut}),
             summary="Import regions from GeoJSON (422: every bad feature, nothing loaded)")
def region_import(request, file: UploadedFile = File(None), effective_date: Date | None = None,
                  dry_run: bool = False):
    _require_editor(request)
    result = io.territory_import(actor=request.user, raw=_read_upload(file, request), effective_date=effective_date,
                                 dry_run=dry_run)
    return Status(422 if result.errors else 200, result.as_dict())


@router.post("/regions", response=responses({201: RegionOut}, not_found=True, conflict=True),
             summary="Create a region")
def region_create(request, payload: RegionCreateIn):
    _require_editor(request)
    spec = RegionSpec(code=payload.code, name=payload.name, level=payload.level, parent_code=payload.parent,
                      geometry=payload.geometry, households=payload.households, population=payload.population,
                      area_type=payload.area_type, special_kind=payload.special_kind,
                      villager_groups=payload.villager_groups, status=payload.status)
    region = services.region_create(actor=request.user, spec=spec, valid_from=payload.effective_date,
                                    reason=payload.reason)
    return Status(201, region)


@router.get("/regions/{int:region_id}", response=responses(RegionDetailOut, not_found=True),
            summary="One region with the people responsible")
def region_detail(request, region_id: Id):
    region = selectors.access_region(request.user, region_id)
    responsible = region_responsible(region)
    data = RegionOut.from_orm(region).model_dump()
    data.update(
        ancestors=[region_ref(a) for a in selectors.region_ancestors(region)],
        children_count=region.children.current().count(),
        workers=[person_ref(u) for u in responsible["workers"]],
        staff=[person_ref(u) for u in responsible["staff"]],
        departments=[{"id": d.pk, "code": d.code, "name": d.name, "kind": d.get_kind_display(), "phone": d.phone}
                     for d in responsible["departments"]],
        layer_grids=[layer_grid_ref(g) for g in
                     region.layer_grids_over.select_related("layer").order_by("layer__sort_order", "code")],
    )
    return data


@router.get("/regions/{int:region_id}/geometry", response=responses(dict, not_found=True),
            summary="One region's boundary as GeoJSON")
def region_geometry(request, region_id: Id):
    region = selectors.access_region(request.user, region_id)
    return {"type": "Feature", "id": region.pk, "geometry": region.geometry,
            "properties": {"code": region.code, "name": region.name, "level": region.level}}


@router.get("/regions/{int:region_id}/history", response=responses(list[VersionOut], not_found=True),
            summary="The region's history")
def region_history(request, region_id: Id):
    region = selectors.access_region(request.user, region_id)
    out = []
    for v in selectors.region_history(region):
        change = v.change
        related = []
        if change is not None and change.kind in (ChangeKind.SPLIT, ChangeKind.MERGE):  # what it became / came from
            related = sorted({r.code for r in list(change.sources.all()) + list(change.results.all())} - {v.code})
        out.append({
            "valid_from": v.valid_from, "valid_to": v.valid_to, "code": v.code, "name": v.name, "status": v.status,
            "households": v.households, "population": v.population,
            "change_kind": change.kind if change else None,
            "change_label": change.get_kind_display() if change else None,
            "reason": change.reason if change else "",
            "actor": change.actor.display_name if change and change.actor else None, "related": related,
        })
    return out


@router.patch("/regions/{int:region_id}", response=responses(RegionOut, not_found=True, conflict=True),
              summary="Change a boundary or attributes from a date")
def region_change(request, region_id: Id, payload: RegionChangeIn):
    _require_editor(request)
    region = selectors.access_region(request.user, region_id)
    return services.region_update(actor=request.user, region=region, **payload.dict())


@router.post("/regions/{int:region_id}/split", response=responses({201: list[RegionOut]}, not_found=True,
                                                                    conflict=True), summary="Split a grid")
def region_split(request, region_id: Id, payload: SplitIn):
    _require_editor(request)
    region = selectors.access_region(request.user, region_id)
    parts = [RegionSpec(code=p.code, name=p.name, level=region.level, geometry=p.geometry,
                        households=p.households, population=p.population, villager_groups=p.villager_groups)
             for p in payload.parts]
    created = services.grid_split(actor=request.user, region=region, parts=parts,
                                  effective_date=payload.effective_date, reason=payload.reason)
    return Status(201, created)


@router.post("/regions/merge", response=responses({201: RegionOut}, conflict=True), summary="Merge sibling grids")
def region_merge(request, payload: MergeIn):
    _require_editor(request)
    regions = list(Region.objects.filter(code__in=payload.regions).restrict(request.user, "change"))
    missing = sorted(set(payload.regions) - {r.code for r in regions})
    if missing:
        raise ValidationFailed(_("Unknown regions: %(codes)s.") % {"codes": "、".join(missing)}, field="regions")
    into = payload.into
    spec = RegionSpec(code=into.code, name=into.name, level=regions[0].level, households=into.households,
                      population=into.population, villager_groups=into.villager_groups)
    merged = services.grids_merge(actor=request.user, regions=regions, spec=spec,
                                  effective_date=payload.effective_date, reason=payload.reason)
    return Status(201, merged)


@router.post("/regions/{int:region_id}/status", response=responses(RegionOut, not_found=True, conflict=True),
             summary="Reserve, activate or retire")
def region_status(request, region_id: Id, payload: StatusIn):
    _require_editor(request)
    region = selectors.access_region(request.user, region_id)
    return services.region_set_status(actor=request.user, region=region, status=payload.status,
                                      effective_date=payload.effective_date, reason=payload.reason)


# --- layers --------------------------------------------------------------------------------------------------------
@router.get("/layers", response=responses(list[LayerOut], invalid=False), summary="Grid layers")
def layer_list(request):
    from django.db.models import Count

    return selectors.layer_list().annotate(grid_count=Count("grids")).order_by("sort_order", "code")


@router.post("/layers", response=responses({201: LayerOut}, conflict=True), summary="Add a grid layer")
def layer_create(request, payload: LayerIn):
    _require_editor(request)
    layer = services.layer_create(actor=request.user, **payload.dict())
    layer.grid_count = 0
    return Status(201, layer)


@router.get("/layers/{code}/grids", response=responses(list[LayerGridOut], not_found=True),
            summary="Grids of a layer visible to you")
@paginate(Page, page_size=100)
def layer_grid_list(request, code: Code):
    return selectors.layer_grids(user=request.user, layer=selectors.access_layer(code))


@router.get("/layers/{code}/geojson", response=responses(dict, not_found=True),
            summary="A layer's grids as GeoJSON (the base layer: its grids)")
@decorate_view(gzip_page)
def layer_geojson(request, code: Code, bbox: BBox | None = None):
    layer = selectors.access_layer(code)
    if layer.kind == "base":
        return region_geojson(request, level=Level.GRID, bbox=bbox)
    qs = selectors.regions_in_bbox(selectors.layer_grids(user=request.user, layer=layer), _parse_bbox(bbox))
    return JsonResponse(io.layer_export(layer=layer, grids=qs))


@router.post("/layers/{code}/grids", response=responses({201: LayerGridOut}, not_found=True, conflict=True),
             summary="Add a grid to a layer")
def layer_grid_create(request, code: Code, payload: LayerGridIn):
    _require_editor(request)
    layer = selectors.access_layer(code)
    grid = services.layer_grid_create(actor=request.user, layer=layer, code=payload.code, name=payload.name,
                                      geometry=payload.geometry, member_codes=payload.members)
    return Status(201, grid)


@router.delete("/layers/{code}/grids/{grid_code}", response=responses({204: None}, not_found=True),
               summary="Remove a grid from a layer")
def layer_grid_delete(request, code: Code, grid_code: Code):
    _require_editor(request)
    layer = selectors.access_layer(code)
    grid = layer.grids.filter(code=grid_code).first()
    if grid is None:
        raise NotFound(_("No such layer grid."), field="grid_code")
    services.layer_grid_delete(actor=request.user, grid=grid)
    return Status(204, None)


@router.post("/layers/{code}/import", response=responses({200: ImportOut, 422: ImportOut | ErrorOut}, not_found=True),
             summary="Import layer grids (422: every bad feature, nothing loaded)")
def layer_import(request, code: Code, file: UploadedFile = File(None), dry_run: bool = False):
    _require_editor(request)
    layer = selectors.access_layer(code)
    result = io.layer_import(actor=request.user, layer=layer, raw=_read_upload(file, request), dry_run=dry_run)
    return Status(422 if result.errors else 200, result.as_dict())
