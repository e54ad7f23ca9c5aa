"""GeoJSON import and export of the territory and of grid layers.

Import validates every feature first and loads nothing if any is bad; the answer lists each bad feature by its
index and the reason. Re-importing the same file changes nothing. Export writes the same format back.
"""

import datetime as dt
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.audit import audit_record
from gridgov.common.errors import ValidationFailed
from gridgov.regions import services
from gridgov.regions.choices import (
    LEVEL_DEPTH,
    AreaType,
    LayerKind,
    Level,
    RegionStatus,
)
from gridgov.regions.geometry import load, parse_geometry, to_geojson
from gridgov.regions.models import Layer, LayerGrid, Region
from gridgov.regions.services import RegionSpec

MAX_FEATURES = 50_000
REGION_PROPERTIES = ("code", "name", "level", "parent", "households", "population", "area_type", "special_kind",
                     "villager_groups", "status")


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "errors": self.errors}


def parse_feature_collection(raw) -> list[dict]:
    """Bytes/str/dict → list of features, or ValidationFailed saying why the file is not a FeatureCollection."""
    if isinstance(raw, (bytes, str)):
        try:
            raw = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationFailed(_("The file is not valid JSON: %(error)s") % {"error": exc}, field="file") from exc
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection" or not isinstance(raw.get("features"), list):
        raise ValidationFailed(_("The file must be a GeoJSON FeatureCollection."), field="file")
    features = raw["features"]
    if not features:
        raise ValidationFailed(_("The FeatureCollection has no features."), field="file")
    if len(features) > MAX_FEATURES:
        raise ValidationFailed(_("At most %(n)d features per file.") % {"n": MAX_FEATURES}, field="file")
    return features


def _int_prop(props: dict, name: str) -> int:
    value = props.get(name, 0)
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationFailed(_("Must be a whole number, 0 or more."), field=name)
    try:
        number = float(value)
    except ValueError as exc:
        raise ValidationFailed(_("Must be a whole number, 0 or more."), field=name) from exc
    if number < 0 or number != int(number):
        raise ValidationFailed(_("Must be a whole number, 0 or more."), field=name)
    return int(number)


def _feature_spec(feature) -> RegionSpec:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValidationFailed(_("Not a GeoJSON Feature."), field="type")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise ValidationFailed(_("properties must be an object."), field="properties")
    code, name, level = (str(props.get(k) or "").strip() for k in ("code", "name", "level"))
    if not code:
        raise ValidationFailed(_("The property code is required."), field="code")
    if not name:
        raise ValidationFailed(_("The property name is required."), field="name")
    if level not in Level.values:
        raise ValidationFailed(_("level must be one of %(values)s.") % {"values": ", ".join(Level.values)},
                               field="level")
    status = str(props.get("status") or RegionStatus.ACTIVE)
    if status not in (RegionStatus.ACTIVE, RegionStatus.RESERVED):
        raise ValidationFailed(_("status must be active or reserved."), field="status")
    if feature.get("geometry") is None:
        raise ValidationFailed(_("The feature has no geometry."), field="geometry")
    parse_geometry(feature["geometry"])
    return RegionSpec(
        code=code, name=name, level=level, parent_code=str(props.get("parent") or "").strip() or None,
        geometry=feature["geometry"], households=_int_prop(props, "households"),
        population=_int_prop(props, "population"), area_type=str(props.get("area_type") or AreaType.URBAN),
        special_kind=str(props.get("special_kind") or ""), villager_groups=str(props.get("villager_groups") or ""),
        status=status,
    )


def _same(region: Region, spec: RegionSpec) -> bool:
    if (region.name, region.households, region.population, region.villager_groups) != (
        spec.name, spec.households, spec.population, spec.villager_groups):
        return False
    old, new = load(region.geometry), load(to_geojson(parse_geometry(spec.geometry)))
    return old is not None and old.equals(new)  # topological: ring start and orientation do not matter


def territory_import(*, actor, raw, effective_date: dt.date | None = None, dry_run: bool = False) -> ImportResult:
    """Import base-layer regions. New codes are created; known codes get a boundary/attribute change.

    Three passes: read every feature, check the tree (parents, levels), then write in one transaction. A problem
    in any pass is reported per feature and nothing stays written; ``dry_run`` does the writing and rolls it back.
    """
    features = parse_feature_collection(raw)
    effective_date = effective_date or timezone.localdate()
    result = ImportResult()
    specs = _read_features(features, result)
    existing = {r.code: r for r in Region.objects.filter(code__in=[s.code for _i, s in specs])
                .select_related("parent")}
    _check_tree(specs, existing, result)
    if result.errors:
        return result
    try:
        with transaction.atomic():
            _write(actor, specs, existing, effective_date, result)
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    except ValidationFailed as exc:
        result.created, result.updated, result.unchanged = [], [], []
        result.errors = exc.details
        return result
    if not dry_run:
        audit_record(actor=actor, action="regions.import", object_type="regions.region",
                     detail=result.as_dict() | {"errors": []})
    return result


class _DryRun(Exception):
    """Raised inside the import transaction to roll a checked dry run back."""


def _read_features(features, result: ImportResult) -> list[tuple[int, RegionSpec]]:
    specs, seen = [], {}
    for index, feature in enumerate(features):
        try:
            spec = _feature_spec(feature)
            if spec.code in seen:
                raise ValidationFailed(_("The code %(code)s also appears in feature %(other)d.")
                                       % {"code": spec.code, "other": seen[spec.code]}, field="code")
        except ValidationFailed as exc:
            result.errors.append(_error(index, spec_code(feature), exc))
            continue
        seen[spec.code] = index
        specs.append((index, spec))
    return specs


def _check_tree(specs, existing: dict[str, Region], result: ImportResult) -> None:
    """Known codes keep their place in the tree; new ones need a parent in the database or in the file."""
    parents = set(Region.objects.filter(code__in={s.parent_code for _i, s in specs if s.parent_code})
                  .values_list("code", flat=True)) | {s.code for _i, s in specs}
    for index, spec in specs:
        region = existing.get(spec.code)
        if region is not None:
            if region.level != spec.level or (region.parent.code if region.parent else None) != spec.parent_code:
                result.errors.append(_error(index, spec.code, ValidationFailed(
                    _("%(code)s exists with another level or parent; moving regions is not done by import.")
                    % {"code": spec.code}, field="parent")))
        elif spec.parent_code and spec.parent_code not in parents:
            result.errors.append(_error(index, spec.code, ValidationFailed(
                _("No region has the code %(code)s.") % {"code": spec.parent_code}, field="parent")))


def _write(actor, specs, existing: dict[str, Region], effective_date: dt.date, result: ImportResult) -> None:
    """Create the new regions and change the known ones; raise ValidationFailed listing every feature refused."""
    index_of = {s.code: i for i, s in specs}
    new = [s for _i, s in specs if s.code not in existing]
    if new:
        try:
            services.regions_bulk_create(actor=actor, specs=new, valid_from=effective_date,
                                         reason=_("GeoJSON import"))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, details=[
                {**d, "index": index_of.get(d.get("code"), -1)} for d in exc.details]) from exc
        result.created = [s.code for s in new]
    errors = []
    for index, spec in specs:
        region = existing.get(spec.code)
        if region is None:
            continue
        if _same(region, spec):
            result.unchanged.append(spec.code)
            continue
        try:
            services.region_update(actor=actor, region=region, effective_date=effective_date,
                                   reason=_("GeoJSON import"), geometry=spec.geometry, name=spec.name,
                                   households=spec.households, population=spec.population,
                                   villager_groups=spec.villager_groups)
        except ValidationFailed as exc:
            errors.append(_error(index, spec.code, exc))
            continue
        result.updated.append(spec.code)
    if errors:
        raise ValidationFailed(_("%(n)d features are invalid; nothing was imported.") % {"n": len(errors)},
                               details=errors)


def spec_code(feature) -> str | None:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return props.get("code") if isinstance(props, dict) else None


def _error(index: int, code, exc: ValidationFailed) -> dict:
    return {"index": index, "code": code, "field": exc.field, "message": str(exc.message)}


def layer_import(*, actor, layer: Layer, raw, dry_run: bool = False) -> ImportResult:
    """Import grids of a thematic or merged layer: properties code, name, and optionally members (base grid codes)."""
    features = parse_feature_collection(raw)
    result = ImportResult()
    items = []
    existing = set(LayerGrid.objects.filter(layer=layer).values_list("code", flat=True))
    for index, feature in enumerate(features):
        props = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
        members = props.get("members")
        if isinstance(members, str):
            members = [m.strip() for m in members.replace("，", ",").split(",") if m.strip()]
        item = {"code": str(props.get("code") or "").strip(), "name": str(props.get("name") or "").strip(),
                "geometry": None if members else feature.get("geometry"), "member_codes": members or None}
        if item["code"] in existing:
            result.unchanged.append(item["code"])
            continue
        item["_index"] = index
        items.append(item)
    if not items:
        return result
    try:
        with transaction.atomic():
            services.layer_grids_bulk_create(actor=actor, layer=layer, items=items)
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    except ValidationFailed as exc:
        for detail in exc.details or [{"index": 0, "code": items[0]["code"], "field": exc.field,
                                       "message": str(exc.message)}]:
            detail = dict(detail)
            detail["index"] = items[detail.get("index", 0)]["_index"]
            result.errors.append(detail)
        return result
    result.created = [i["code"] for i in items]
    return result


def territory_export(*, regions) -> dict:
    """A FeatureCollection that ``territory_import`` reads back unchanged (parents before children)."""
    rows = sorted(regions.select_related("parent"), key=lambda r: (LEVEL_DEPTH[r.level], r.code))
    features = []
    for r in rows:
        features.append({
            "type": "Feature",
            "geometry": r.geometry,
            "properties": {
                "code": r.code, "name": r.name, "level": r.level, "parent": r.parent.code if r.parent else None,
                "households": r.households, "population": r.population, "area_type": r.area_type,
                "special_kind": r.special_kind, "villager_groups": r.villager_groups, "status": r.status,
            },
        })
    return {"type": "FeatureCollection", "features": features}


def layer_export(*, layer: Layer, grids) -> dict:
    features = []
    for g in grids.prefetch_related("memberships__region"):
        whole = sorted(m.region.code for m in g.memberships.all() if m.whole)
        props = {"code": g.code, "name": g.name, "layer": layer.code, "households": g.households,
                 "population": g.population}
        if layer.kind == LayerKind.MERGED:
            props["members"] = whole
        features.append({"type": "Feature", "geometry": g.geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}
