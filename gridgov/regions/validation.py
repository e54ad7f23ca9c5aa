"""Grid validation (无缝覆盖、不交叉重叠): overlaps, gaps, grids crossing their community, size standard.

Each finding names the grids to adjust and what is wrong, so a street can act on the list.
"""

from collections import defaultdict
from dataclasses import asdict, dataclass, field

import shapely
from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.regions.choices import AreaType, Level, RegionStatus
from gridgov.regions.geometry import area_m2, load, noise_tolerance_m2
from gridgov.regions.models import Region

# Levels whose children must tile their parent without gaps or overlaps.
TILED_CHILD_LEVELS = {Level.STREET, Level.COMMUNITY, Level.GRID}


@dataclass
class Finding:
    kind: str  # overlap | gap | outside_parent | size
    severity: str  # error | warning
    codes: list[str]
    names: list[str]
    message: str
    area_m2: float = 0.0
    households: int | None = None
    location: list[float] | None = None  # [lon, lat] of a point to look at
    suggestion: str = ""


@dataclass
class Report:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    def counts(self) -> dict:
        out = defaultdict(int)
        for f in self.findings:
            out[f.kind] += 1
        return dict(out)

    def as_dict(self) -> dict:
        return {"checked": self.checked, "counts": self.counts(), "findings": [asdict(f) for f in self.findings]}


def _point(geom) -> list[float]:
    p = geom.representative_point()
    return [round(p.x, 6), round(p.y, 6)]


def grid_validation_report(*, regions_qs) -> Report:
    """Validate the regions in ``regions_qs`` (already scoped) against their parents and siblings."""
    rows = list(regions_qs.exclude(status=RegionStatus.RETIRED).only(
        "id", "code", "name", "level", "parent_id", "geometry", "households", "area_type", "villager_groups",
        "status",
    ))
    by_id = {r.id: r for r in rows}
    geoms = {r.id: load(r.geometry) for r in rows if r.geometry}
    children = defaultdict(list)
    for r in rows:
        if r.level in TILED_CHILD_LEVELS and r.parent_id:
            children[r.parent_id].append(r)
    report = Report(checked=len(rows))
    for parent_id, kids in sorted(children.items(), key=lambda kv: by_id[kv[0]].code if kv[0] in by_id else ""):
        kids = [k for k in kids if k.id in geoms]
        _check_overlaps(report, kids, geoms)
        parent = by_id.get(parent_id)
        if parent is not None and parent.id in geoms and kids:
            _check_gaps(report, parent, kids, geoms)
            _check_outside(report, parent, kids, geoms)
    _check_sizes(report, [r for r in rows if r.level == Level.GRID and r.status == RegionStatus.ACTIVE], geoms)
    return report


def _check_overlaps(report: Report, kids, geoms):
    if len(kids) < 2:
        return
    tree = shapely.STRtree([geoms[k.id] for k in kids])
    left, right = tree.query([geoms[k.id] for k in kids], predicate="intersects")
    for i, j in zip(left, right):
        if i >= j:
            continue
        a, b = kids[i], kids[j]
        inter = geoms[a.id].intersection(geoms[b.id])
        overlap = area_m2(inter)
        if overlap > noise_tolerance_m2(geoms[a.id], geoms[b.id]):
            report.findings.append(Finding(
                kind="overlap", severity="error", codes=[a.code, b.code], names=[a.name, b.name],
                area_m2=round(overlap, 1), location=_point(inter),
                message=_("%(a)s and %(b)s overlap by %(area).0f m².") % {"a": a.name, "b": b.name, "area": overlap},
                suggestion=_("Move the shared boundary so that each place belongs to one grid."),
            ))


def _check_gaps(report: Report, parent, kids, geoms):
    gap = geoms[parent.id].difference(shapely.union_all([geoms[k.id] for k in kids]))
    gap_area = area_m2(gap)
    if gap_area > noise_tolerance_m2(geoms[parent.id]):
        report.findings.append(Finding(
            kind="gap", severity="error", codes=[parent.code], names=[parent.name], area_m2=round(gap_area, 1),
            location=_point(gap),
            message=_("%(area).0f m² of %(parent)s is covered by none of its %(n)d sub-regions.")
            % {"area": gap_area, "parent": parent.name, "n": len(kids)},
            suggestion=_("Extend a neighbouring grid or add a grid so that the whole area is covered."),
        ))


def _check_outside(report: Report, parent, kids, geoms):
    parent_geom = geoms[parent.id]
    shapely.prepare(parent_geom)
    for k in kids:
        if parent_geom.contains(geoms[k.id]):
            continue
        outside = geoms[k.id].difference(parent_geom)
        area = area_m2(outside)
        if area > noise_tolerance_m2(geoms[k.id]):
            report.findings.append(Finding(
                kind="outside_parent", severity="error", codes=[k.code, parent.code], names=[k.name, parent.name],
                area_m2=round(area, 1), location=_point(outside),
                message=_("%(child)s extends %(area).0f m² beyond %(parent)s.")
                % {"child": k.name, "area": area, "parent": parent.name},
                suggestion=_("A grid never crosses its community: trim it or move it to the right parent."),
            ))


def _check_sizes(report: Report, grids, geoms):
    lo, hi = settings.GRIDGOV_URBAN_HOUSEHOLDS_MIN, settings.GRIDGOV_URBAN_HOUSEHOLDS_MAX
    rural_max = settings.GRIDGOV_RURAL_HOUSEHOLDS_MAX
    siblings = defaultdict(list)
    for g in grids:
        siblings[g.parent_id].append(g)
    for g in grids:
        if g.area_type == AreaType.URBAN:
            if g.households > hi:
                parts = -(-g.households // hi)
                report.findings.append(Finding(
                    kind="size", severity="warning", codes=[g.code], names=[g.name], households=g.households,
                    message=_("%(name)s has %(n)d households, above the urban standard of %(lo)d–%(hi)d.")
                    % {"name": g.name, "n": g.households, "lo": lo, "hi": hi},
                    suggestion=_("Split into %(parts)d grids.") % {"parts": parts},
                    location=_point(geoms[g.id]) if g.id in geoms else None,
                ))
            elif g.households < lo:
                partner = _merge_partner(g, siblings[g.parent_id], geoms, hi)
                suggestion = (_("Merge with the neighbouring %(name)s (%(code)s).") % {"name": partner.name,
                                                                                       "code": partner.code}
                              if partner else _("Enlarge it, or merge it with a neighbouring grid."))
                report.findings.append(Finding(
                    kind="size", severity="warning", codes=[g.code], names=[g.name], households=g.households,
                    message=_("%(name)s has %(n)d households, below the urban standard of %(lo)d–%(hi)d.")
                    % {"name": g.name, "n": g.households, "lo": lo, "hi": hi},
                    suggestion=suggestion, location=_point(geoms[g.id]) if g.id in geoms else None,
                ))
        else:
            if not g.villager_groups:
                report.findings.append(Finding(
                    kind="size", severity="warning", codes=[g.code], names=[g.name], households=g.households,
                    message=_("Rural grid %(name)s is not tied to a villager group.") % {"name": g.name},
                    suggestion=_("Rural grids follow villager groups: record which group(s) it covers."),
                ))
            elif g.households > rural_max:
                report.findings.append(Finding(
                    kind="size", severity="warning", codes=[g.code], names=[g.name], households=g.households,
                    message=_("Rural grid %(name)s has %(n)d households, more than %(max)d.")
                    % {"name": g.name, "n": g.households, "max": rural_max},
                    suggestion=_("Split along villager groups (about 50 households each where groups are large)."),
                ))


def _merge_partner(grid, siblings, geoms, hi):
    if grid.id not in geoms:
        return None
    geom = geoms[grid.id]
    best = None
    for s in siblings:
        if s.id == grid.id or s.id not in geoms or s.area_type != grid.area_type:
            continue
        if s.households + grid.households <= hi and geom.intersects(geoms[s.id]):
            if best is None or s.households < best.households:
                best = s
    return best


def validation_scope_regions(user):
    return Region.objects.restrict(user, "view")
