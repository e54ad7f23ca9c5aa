"""Writes to the territory. Every service is one transaction, records history and an audit row."""

import datetime as dt
from dataclasses import dataclass

import shapely
from django.db import transaction
from django.db.models import F, Func, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.audit import audit_record
from gridgov.common.errors import ValidationFailed
from gridgov.common.scoping import below
from gridgov.regions.choices import (
    GRID_LEVELS,
    LEVEL_DEPTH,
    PARENT_LEVEL,
    AreaType,
    ChangeKind,
    LayerKind,
    Level,
    RegionStatus,
    SpecialKind,
)
from gridgov.regions.geometry import (
    AREA_TOLERANCE_M2,
    area_m2,
    derived_fields,
    load,
    noise_tolerance_m2,
    parse_geometry,
    to_geojson,
)
from gridgov.regions.index import geo_index
from gridgov.regions.models import (
    GridChange,
    Layer,
    LayerGrid,
    LayerGridMember,
    Region,
    RegionVersion,
)

# A base grid counts as wholly inside a layer grid when at most this share of it lies outside.
WHOLE_SHARE = 0.995


@dataclass
class RegionSpec:
    """The attributes of one region to create (import and demo build these in bulk)."""

    code: str
    name: str
    level: str
    parent_code: str | None = None
    geometry: dict | None = None
    households: int = 0
    population: int = 0
    area_type: str = AreaType.URBAN
    special_kind: str = ""
    villager_groups: str = ""
    status: str = RegionStatus.ACTIVE


def _today() -> dt.date:
    return timezone.localdate()


def _version_from(region: Region, *, change: GridChange | None, valid_from: dt.date) -> RegionVersion:
    return RegionVersion(
        region=region, change=change, valid_from=valid_from, valid_to=None, code=region.code, name=region.name,
        level=region.level, parent_id=region.parent_id, status=region.status, households=region.households,
        population=region.population, geometry=region.geometry,
    )


def _check_parent(level: str, parent: Region | None, *, field: str = "parent"):
    if level == Level.DISTRICT:
        if parent is not None:
            raise ValidationFailed(_("A district has no parent region."), field=field)
        return
    if parent is None:
        raise ValidationFailed(_("A region of this level needs a parent."), field=field)
    if parent.level not in PARENT_LEVEL[level]:
        allowed = "、".join(str(Level(lv).label) for lv in PARENT_LEVEL[level])
        raise ValidationFailed(
            _("The parent of a %(level)s must be a %(allowed)s, not a %(parent)s.")
            % {"level": Level(level).label, "allowed": allowed, "parent": parent.get_level_display()},
            field=field,
        )
    if parent.status == RegionStatus.RETIRED:
        raise ValidationFailed(_("The parent region %(code)s is retired.") % {"code": parent.code}, field=field)


def _check_spec(spec: RegionSpec, parent: Region | None) -> shapely.Geometry | None:
    if not spec.code or len(spec.code) > 32 or "/" in spec.code:
        raise ValidationFailed(_("A code of 1–32 characters without '/' is required."), field="code")
    if not spec.name or len(spec.name) > 100:
        raise ValidationFailed(_("A name of 1–100 characters is required."), field="name")
    if spec.level not in Level.values:
        raise ValidationFailed(_("Unknown level %(level)s.") % {"level": spec.level}, field="level")
    if spec.area_type not in AreaType.values:
        raise ValidationFailed(_("Unknown area type %(value)s.") % {"value": spec.area_type}, field="area_type")
    if spec.level == Level.SPECIAL and spec.special_kind not in SpecialKind.values:
        raise ValidationFailed(_("A special grid needs its kind (enterprise, school, hospital, …)."),
                               field="special_kind")
    if spec.level != Level.SPECIAL and spec.special_kind:
        raise ValidationFailed(_("Only special grids have a special kind."), field="special_kind")
    for name in ("households", "population"):
        value = getattr(spec, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationFailed(_("Must be a whole number, 0 or more."), field=name)
    _check_parent(spec.level, parent)
    return parse_geometry(spec.geometry) if spec.geometry is not None else None


def _new_region(spec: RegionSpec, parent: Region | None, geom, valid_from: dt.date) -> Region:
    region = Region(
        code=spec.code, name=spec.name, level=spec.level, parent=parent, area_type=spec.area_type,
        special_kind=spec.special_kind, households=spec.households, population=spec.population,
        villager_groups=spec.villager_groups, status=spec.status, valid_from=valid_from,
        path=(parent.path if parent else "/") + spec.code + "/", depth=LEVEL_DEPTH[spec.level],
        geometry=to_geojson(geom) if geom is not None else None,
    )
    for key, value in derived_fields(geom).items():
        setattr(region, key, value)
    return region


@transaction.atomic
def region_create(*, actor, spec: RegionSpec, valid_from: dt.date | None = None, reason: str = "",
                  change: GridChange | None = None) -> Region:
    parent = None
    if spec.parent_code:
        parent = Region.objects.filter(code=spec.parent_code).first()
        if parent is None:
            raise ValidationFailed(_("No region has the code %(code)s.") % {"code": spec.parent_code}, field="parent")
    geom = _check_spec(spec, parent)
    if Region.objects.filter(code=spec.code).exists():
        raise ValidationFailed(_("The code %(code)s is already in use.") % {"code": spec.code}, field="code")
    valid_from = valid_from or _today()
    region = _new_region(spec, parent, geom, valid_from)
    region.save()
    own_change = change is None
    if own_change:
        kind = ChangeKind.RESERVE if spec.status == RegionStatus.RESERVED else ChangeKind.CREATE
        change = GridChange.objects.create(kind=kind, effective_date=valid_from, reason=reason, actor=_user(actor))
    change.results.add(region)
    _version_from(region, change=change, valid_from=valid_from).save()
    if own_change:
        audit_record(actor=actor, action="region.create", obj=region, detail={"code": region.code})
    return region


def regions_bulk_create(*, actor, specs: list[RegionSpec], valid_from: dt.date | None = None, reason: str = "",
                        kind: str = ChangeKind.IMPORT, batch_size: int = 2000, progress=None) -> list[Region]:
    """Create many regions at once (import, demo). Parents come first or already exist. Validates everything
    before writing; raises ValidationFailed with every bad spec listed (``details``) and writes nothing."""
    valid_from = valid_from or _today()
    existing = {r.code: r for r in Region.objects.filter(code__in={s.parent_code for s in specs if s.parent_code})}
    pending: dict[str, Region] = {}
    errors, regions = [], []
    seen = set(Region.objects.filter(code__in=[s.code for s in specs]).values_list("code", flat=True))
    for spec in sorted(specs, key=lambda s: LEVEL_DEPTH.get(s.level, 9)):
        parent = pending.get(spec.parent_code) or existing.get(spec.parent_code) if spec.parent_code else None
        try:
            if spec.parent_code and parent is None:
                raise ValidationFailed(_("No region has the code %(code)s.") % {"code": spec.parent_code},
                                       field="parent")
            if spec.code in seen:
                raise ValidationFailed(_("The code %(code)s is already in use.") % {"code": spec.code}, field="code")
            geom = _check_spec(spec, parent)
        except ValidationFailed as exc:
            errors.append({"code": spec.code, "field": exc.field, "message": str(exc.message)})
            continue
        seen.add(spec.code)
        region = _new_region(spec, parent, geom, valid_from)
        pending[spec.code] = region
        regions.append(region)
    if errors:
        raise ValidationFailed(_("%(n)d regions are invalid; nothing was created.") % {"n": len(errors)},
                               details=errors)
    with transaction.atomic():
        change = GridChange.objects.create(kind=kind, effective_date=valid_from, reason=reason, actor=_user(actor))
        # Parents before children so foreign keys resolve; bulk_create fills primary keys on SQLite and PostgreSQL.
        for depth in sorted({r.depth for r in regions}):
            level_rows = [r for r in regions if r.depth == depth]
            for r in level_rows:
                if r.parent is not None:
                    r.parent_id = r.parent.pk
            for start in range(0, len(level_rows), batch_size):
                Region.objects.bulk_create(level_rows[start:start + batch_size], batch_size=batch_size)
                if progress:
                    progress(len(level_rows[start:start + batch_size]))
        RegionVersion.objects.bulk_create(
            [_version_from(r, change=change, valid_from=valid_from) for r in regions], batch_size=batch_size
        )
        through = GridChange.results.through
        through.objects.bulk_create([through(gridchange_id=change.pk, region_id=r.pk) for r in regions],
                                    batch_size=batch_size)
        audit_record(actor=actor, action="regions.bulk_create", object_type="regions.gridchange",
                     object_id=change.pk, detail={"count": len(regions), "kind": kind})
        transaction.on_commit(geo_index.invalidate)
    return regions


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _close_and_version(region: Region, *, change: GridChange, effective_date: dt.date):
    current = region.versions.filter(valid_to__isnull=True).order_by("-valid_from").first()
    if current is not None:
        if effective_date <= current.valid_from:
            raise ValidationFailed(
                _("The effective date must be after %(date)s, when the current state of %(code)s began.")
                % {"date": current.valid_from.isoformat(), "code": region.code},
                field="effective_date",
            )
        current.valid_to = effective_date
        current.save(update_fields=["valid_to"])
    _version_from(region, change=change, valid_from=effective_date).save()


@transaction.atomic
def region_update(*, actor, region: Region, effective_date: dt.date, reason: str = "", geometry: dict | None = None,
                  name: str | None = None, households: int | None = None, population: int | None = None,
                  villager_groups: str | None = None) -> Region:
    """A boundary and/or attribute change taking effect on ``effective_date``; the old state stays in history."""
    region = Region.objects.select_for_update().get(pk=region.pk)
    if region.status == RegionStatus.RETIRED:
        raise ValidationFailed(_("%(code)s is retired and cannot change.") % {"code": region.code})
    kind = ChangeKind.ATTRIBUTES
    if geometry is not None:
        geom = parse_geometry(geometry)
        region.geometry = to_geojson(geom)
        for key, value in derived_fields(geom).items():
            setattr(region, key, value)
        kind = ChangeKind.BOUNDARY
    if name is not None:
        if not name.strip():
            raise ValidationFailed(_("A name of 1–100 characters is required."), field="name")
        region.name = name.strip()
    for field, value in (("households", households), ("population", population)):
        if value is not None:
            if not isinstance(value, int) or value < 0:
                raise ValidationFailed(_("Must be a whole number, 0 or more."), field=field)
            setattr(region, field, value)
    if villager_groups is not None:
        region.villager_groups = villager_groups
    change = GridChange.objects.create(kind=kind, effective_date=effective_date, reason=reason, actor=_user(actor))
    change.sources.add(region)
    change.results.add(region)
    _close_and_version(region, change=change, effective_date=effective_date)
    region.save()
    audit_record(actor=actor, action=f"region.{kind}", obj=region, detail={"effective_date": str(effective_date)})
    return region


def _retire(region: Region, *, change: GridChange, effective_date: dt.date):
    region.status = RegionStatus.RETIRED
    region.valid_to = effective_date
    _close_and_version(region, change=change, effective_date=effective_date)
    # The retired state is itself a version, so "as of" a later date shows the grid as retired, not missing.
    region.save()


def _reparent_children(sources: list[Region], results: list[Region]):
    """Micro and special grids inside a split or merged grid move to the new grid that contains them."""
    result_geoms = [(r, load(r.geometry)) for r in results]
    for child in Region.objects.filter(parent__in=sources).exclude(status=RegionStatus.RETIRED):
        point = shapely.Point(child.centroid_lon, child.centroid_lat) if child.centroid_lon is not None else None
        target = next((r for r, g in result_geoms if point is not None and g.intersects(point)), results[0])
        old_path = child.path
        child.parent = target
        child.path = target.path + child.code + "/"
        child.save(update_fields=["parent", "path", "updated_at"])
        Region.objects.filter(below("path", old_path)).exclude(pk=child.pk).update(
            path=Func(F("path"), Value(old_path), Value(child.path), function="REPLACE")
        )


@transaction.atomic
def grid_split(*, actor, region: Region, parts: list[RegionSpec], effective_date: dt.date, reason: str = ""):
    """Split one grid into several; the parts must cover it exactly and not overlap each other."""
    region = Region.objects.select_for_update().get(pk=region.pk)
    if region.level not in GRID_LEVELS or region.status == RegionStatus.RETIRED:
        raise ValidationFailed(_("Only an active grid can be split."), field="region")
    if len(parts) < 2:
        raise ValidationFailed(_("A split needs at least two parts."), field="parts")
    source_geom = load(region.geometry)
    geoms = []
    for i, part in enumerate(parts):
        part.level, part.parent_code = region.level, region.parent.code
        part.area_type, part.special_kind = region.area_type, region.special_kind
        try:
            geoms.append(_check_spec(part, region.parent))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field=f"parts[{i}].{exc.field}") from exc
        if geoms[-1] is None:
            raise ValidationFailed(_("Every part needs a boundary."), field=f"parts[{i}].geometry")
    if source_geom is not None:
        union = shapely.union_all(geoms)
        missing = area_m2(source_geom.difference(union))
        extra = area_m2(union.difference(source_geom))
        overlap = sum(area_m2(geoms[i].intersection(geoms[j])) for i in range(len(geoms))
                      for j in range(i + 1, len(geoms)))
        tolerance = noise_tolerance_m2(source_geom)
        if missing > tolerance or extra > tolerance or overlap > tolerance:
            raise ValidationFailed(
                _("The parts must cover the grid exactly: %(missing).0f m² left uncovered, %(extra).0f m² outside, "
                  "%(overlap).0f m² overlapping.") % {"missing": missing, "extra": extra, "overlap": overlap},
                field="parts",
            )
    change = GridChange.objects.create(kind=ChangeKind.SPLIT, effective_date=effective_date, reason=reason,
                                       actor=_user(actor))
    change.sources.add(region)
    _retire(region, change=change, effective_date=effective_date)
    results = [region_create(actor=actor, spec=p, valid_from=effective_date, change=change) for p in parts]
    _reparent_children([region], results)
    audit_record(actor=actor, action="region.split", obj=region, detail={"into": [r.code for r in results]})
    return results


@transaction.atomic
def grids_merge(*, actor, regions: list[Region], spec: RegionSpec, effective_date: dt.date, reason: str = ""):
    """Merge sibling grids into one new grid whose boundary is their union."""
    regions = list(Region.objects.select_for_update().filter(pk__in=[r.pk for r in regions]).order_by("code"))
    if len(regions) < 2:
        raise ValidationFailed(_("A merge needs at least two grids."), field="regions")
    if any(r.status == RegionStatus.RETIRED for r in regions):
        raise ValidationFailed(_("Retired grids cannot be merged."), field="regions")
    if len({(r.parent_id, r.level) for r in regions}) != 1 or regions[0].level not in GRID_LEVELS:
        raise ValidationFailed(_("Only grids of the same level under the same parent can be merged."),
                               field="regions")
    geoms = [load(r.geometry) for r in regions]
    spec.level, spec.parent_code, spec.area_type = regions[0].level, regions[0].parent.code, regions[0].area_type
    spec.special_kind = regions[0].special_kind
    spec.geometry = to_geojson(shapely.union_all([g for g in geoms if g is not None])) if all(geoms) else None
    if not spec.households:
        spec.households = sum(r.households for r in regions)
    if not spec.population:
        spec.population = sum(r.population for r in regions)
    change = GridChange.objects.create(kind=ChangeKind.MERGE, effective_date=effective_date, reason=reason,
                                       actor=_user(actor))
    change.sources.add(*regions)
    for r in regions:
        _retire(r, change=change, effective_date=effective_date)
    merged = region_create(actor=actor, spec=spec, valid_from=effective_date, change=change)
    _reparent_children(regions, [merged])
    audit_record(actor=actor, action="region.merge", obj=merged, detail={"from": [r.code for r in regions]})
    return merged


@transaction.atomic
def region_set_status(*, actor, region: Region, status: str, effective_date: dt.date, reason: str = "") -> Region:
    """Reserve, activate or retire a region (a reserved grid waits for a new estate, say)."""
    region = Region.objects.select_for_update().get(pk=region.pk)
    kinds = {RegionStatus.RESERVED: ChangeKind.RESERVE, RegionStatus.ACTIVE: ChangeKind.ACTIVATE,
             RegionStatus.RETIRED: ChangeKind.RETIRE}
    if status not in kinds:
        raise ValidationFailed(_("Unknown status %(value)s.") % {"value": status}, field="status")
    if region.status == RegionStatus.RETIRED:
        raise ValidationFailed(_("%(code)s is retired and cannot change.") % {"code": region.code}, field="status")
    if region.status == status:
        raise ValidationFailed(_("%(code)s is already %(status)s.") % {"code": region.code,
                                                                        "status": region.get_status_display()},
                               field="status")
    if status == RegionStatus.RETIRED and region.children.exclude(status=RegionStatus.RETIRED).exists():
        raise ValidationFailed(_("Retire or move the regions below %(code)s first.") % {"code": region.code},
                               field="status")
    change = GridChange.objects.create(kind=kinds[status], effective_date=effective_date, reason=reason,
                                       actor=_user(actor))
    change.sources.add(region)
    change.results.add(region)
    if status == RegionStatus.RETIRED:
        _retire(region, change=change, effective_date=effective_date)
    else:
        region.status = status
        _close_and_version(region, change=change, effective_date=effective_date)
        region.save()
    audit_record(actor=actor, action=f"region.{kinds[status]}", obj=region)
    return region


# --- layers --------------------------------------------------------------------------------------------------------
@transaction.atomic
def layer_create(*, actor, code: str, name: str, kind: str = LayerKind.THEMATIC, color: str = "#3366cc",
                 description: str = "", sort_order: int = 100) -> Layer:
    if kind not in LayerKind.values:
        raise ValidationFailed(_("Unknown layer kind %(value)s.") % {"value": kind}, field="kind")
    if Layer.objects.filter(code=code).exists():
        raise ValidationFailed(_("The code %(code)s is already in use.") % {"code": code}, field="code")
    layer = Layer.objects.create(code=code, name=name, kind=kind, color=color, description=description,
                                 sort_order=sort_order)
    audit_record(actor=actor, action="layer.create", obj=layer)
    return layer


def _base_grid_overlaps(geom: shapely.Geometry) -> list[tuple[int, float]]:
    """Base grids (level grid) that a geometry covers with some area, with the share of each grid covered."""
    geo_index.ensure()
    shapely.prepare(geom)
    out = []
    for hit in geo_index.leaf_tree.query(geom, predicate="intersects"):
        region_id = int(geo_index.leaf_ids[hit])
        if geo_index.info[region_id].level != Level.GRID:
            continue
        base = geo_index.leaf_tree.geometries[hit]
        inter = area_m2(geom.intersection(base))
        if inter > AREA_TOLERANCE_M2:
            out.append((region_id, min(inter / max(area_m2(base), 1e-9), 1.0)))
    return out


def _lowest_common_path(paths: list[str]) -> str | None:
    if not paths:
        return None
    common = []
    for parts in zip(*(p.strip("/").split("/") for p in paths)):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/" + "/".join(common) + "/" if common else None


def _layer_grid_shape(layer: Layer, item: dict, regions_by_code: dict[str, Region]):
    """Validate one layer grid; return its geometry and [(region_id, share covered)] (no writes)."""
    code, name = item.get("code") or "", item.get("name") or ""
    if not isinstance(code, str) or not code or len(code) > 32:
        raise ValidationFailed(_("A code of 1–32 characters is required."), field="code")
    if not isinstance(name, str) or not name or len(name) > 100:
        raise ValidationFailed(_("A name of 1–100 characters is required."), field="name")
    if layer.kind == LayerKind.BASE:
        raise ValidationFailed(_("Base-layer grids are regions of the territory tree; edit them there."),
                               field="layer")
    member_codes = item.get("member_codes")
    if member_codes:
        missing = sorted(c for c in member_codes if c not in regions_by_code)
        if missing:
            raise ValidationFailed(_("Unknown base grids: %(codes)s.") % {"codes": "、".join(missing)},
                                   field="members")
        members = [regions_by_code[c] for c in member_codes]
        wrong = [m.code for m in members if m.level != Level.GRID or m.status != RegionStatus.ACTIVE]
        if wrong:
            raise ValidationFailed(_("Only active base grids can be members: %(codes)s.")
                                   % {"codes": "、".join(wrong)}, field="members")
        return shapely.union_all([load(m.geometry) for m in members]), [(m.pk, 1.0) for m in members]
    if item.get("geometry") is None:
        raise ValidationFailed(_("Give either the boundary or the member base grids."), field="geometry")
    geom = parse_geometry(item["geometry"])
    overlaps = _base_grid_overlaps(geom)
    if layer.kind == LayerKind.MERGED:
        split = [(geo_index.info[rid], share) for rid, share in overlaps if share < WHOLE_SHARE]
        if split:
            raise ValidationFailed(
                _("A merged grid may not split a base grid: %(list)s.")
                % {"list": "、".join(f"{r.name}（{r.code}，{share:.0%}）" for r, share in split)},
                field="geometry", code="splits_base_grid",
                details=[{"code": r.code, "name": r.name, "covered_share": round(share, 4)} for r, share in split],
            )
    return geom, overlaps


def layer_grids_bulk_create(*, actor, layer: Layer, items: list[dict]) -> list[LayerGrid]:
    """Create layer grids; each item has code, name and either geometry or member_codes (whole base grids).

    Everything is validated first; one bad item means nothing is written and every problem is reported.
    A merged grid never splits a base grid, and a base grid lies wholly inside at most one grid of a layer.
    """
    member_codes = {c for item in items for c in (item.get("member_codes") or [])}
    regions_by_code = {r.code: r for r in Region.objects.filter(code__in=member_codes)}
    taken = dict(LayerGridMember.objects.filter(layer=layer, whole=True).values_list("region_id", "layer_grid__code"))
    existing_codes = set(LayerGrid.objects.filter(layer=layer).values_list("code", flat=True))
    errors, prepared = [], []
    for index, item in enumerate(items):
        try:
            if item.get("code") in existing_codes:
                raise ValidationFailed(_("The code %(code)s is already in use.") % {"code": item.get("code")},
                                       field="code")
            geom, overlaps = _layer_grid_shape(layer, item, regions_by_code)
            clash = [rid for rid, share in overlaps if share >= WHOLE_SHARE and rid in taken]
            if clash:
                codes = dict(Region.objects.filter(pk__in=clash).values_list("pk", "code"))
                raise ValidationFailed(
                    _("These base grids already belong to another grid of this layer: %(list)s.")
                    % {"list": "、".join(f"{codes[r]}→{taken[r]}" for r in clash)},
                    field="members", code="already_member",
                )
        except ValidationFailed as exc:
            if len(items) == 1:
                raise
            errors.append({"index": index, "code": item.get("code"), "field": exc.field, "message": str(exc.message)})
            continue
        existing_codes.add(item["code"])
        taken.update({rid: item["code"] for rid, share in overlaps if share >= WHOLE_SHARE})
        prepared.append((item, geom, overlaps))
    if errors:
        raise ValidationFailed(_("%(n)d layer grids are invalid; nothing was created.") % {"n": len(errors)},
                               details=errors)
    region_ids = {rid for _item, _geom, overlaps in prepared for rid, _share in overlaps}
    regions = {r.pk: r for r in Region.objects.filter(pk__in=region_ids).only("id", "path", "households",
                                                                                "population")}
    paths_to_region = {}
    grids = []
    for item, geom, overlaps in prepared:
        whole = [regions[rid] for rid, share in overlaps if share >= WHOLE_SHARE]
        grid = LayerGrid(layer=layer, code=item["code"], name=item["name"], geometry=to_geojson(geom),
                         households=item.get("households") or sum(m.households for m in whole),
                         population=item.get("population") or sum(m.population for m in whole))
        for key, value in derived_fields(geom).items():
            setattr(grid, key, value)
        grid._common_path = _lowest_common_path([regions[rid].path for rid, _share in overlaps])
        paths_to_region[grid._common_path] = None
        grids.append(grid)
    for region in Region.objects.filter(path__in=[p for p in paths_to_region if p]):
        paths_to_region[region.path] = region
    for grid in grids:
        grid.region = paths_to_region.get(grid._common_path)
    with transaction.atomic():
        LayerGrid.objects.bulk_create(grids, batch_size=1000)
        LayerGridMember.objects.bulk_create(
            [LayerGridMember(layer=layer, layer_grid=grid, region_id=rid, whole=share >= WHOLE_SHARE)
             for grid, (_item, _geom, overlaps) in zip(grids, prepared) for rid, share in overlaps],
            batch_size=2000,
        )
        audit_record(actor=actor, action="layergrids.create", obj=layer,
                     detail={"count": len(grids), "codes": [g.code for g in grids[:50]]})
        transaction.on_commit(geo_index.invalidate)
    return grids


def layer_grid_create(*, actor, layer: Layer, code: str, name: str, geometry: dict | None = None,
                      member_codes: list[str] | None = None) -> LayerGrid:
    item = {"code": code, "name": name, "geometry": geometry, "member_codes": member_codes}
    return layer_grids_bulk_create(actor=actor, layer=layer, items=[item])[0]


@transaction.atomic
def layer_grid_delete(*, actor, grid: LayerGrid) -> None:
    audit_record(actor=actor, action="layergrid.delete", obj=grid, detail={"code": grid.code})
    grid.delete()
