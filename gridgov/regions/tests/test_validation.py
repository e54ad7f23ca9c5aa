"""Grid validation: overlaps between siblings, gaps inside a parent, grids crossing their community, size."""

import pytest

from gridgov.regions import services
from gridgov.regions.geometry import area_m2, load
from gridgov.regions.models import Region
from gridgov.regions.services import RegionSpec
from gridgov.regions.tests.helpers import at, build_test_tree, square
from gridgov.regions.validation import grid_validation_report

pytestmark = pytest.mark.django_db


def _report():
    return grid_validation_report(regions_qs=Region.objects.filter(code__startswith="990000"))


def test_clean_tiling_has_no_geometry_findings():
    build_test_tree()
    report = _report()
    assert report.checked == 5
    assert [f for f in report.findings if f.kind != "size"] == []


def test_overlap_gap_and_crossing_are_reported_with_the_grids_to_adjust():
    tree = build_test_tree()
    # East grid grows west over its neighbour (overlap) and east beyond the community (crossing);
    # the west grid gives up its southern strip, which nobody covers then (gap).
    services.region_update(actor=None, region=tree["990000001001002"], effective_date=tree["990000001001002"]
                           .valid_from.replace(year=2025), geometry=square(120.012, 30.0, 120.05, 30.02))
    services.region_update(actor=None, region=tree["990000001001001"], effective_date=tree["990000001001001"]
                           .valid_from.replace(year=2025), geometry=square(120.0, 30.005, 120.015, 30.02))
    report = _report()
    kinds = {f.kind: f for f in report.findings}
    assert set(kinds) >= {"overlap", "gap", "outside_parent"}
    overlap = kinds["overlap"]
    assert overlap.codes == ["990000001001001", "990000001001002"]
    assert overlap.area_m2 == pytest.approx(area_m2(load(square(120.012, 30.005, 120.015, 30.02))), rel=0.02)
    crossing = kinds["outside_parent"]
    assert crossing.codes == ["990000001001002", "990000001001"]
    assert crossing.area_m2 == pytest.approx(area_m2(load(square(120.04, 30.0, 120.05, 30.02))), rel=0.02)
    gap = kinds["gap"]
    assert gap.codes == ["990000001001"]
    assert gap.area_m2 == pytest.approx(area_m2(load(square(120.0, 30.0, 120.012, 30.005))), rel=0.02)
    assert gap.location[1] < at(120.0, 30.005)[1]


def test_overlapping_siblings():
    build_test_tree()
    services.region_create(actor=None, spec=RegionSpec(code="990000001001003", name="重叠网格", level="grid",
                                                       parent_code="990000001001", households=400,
                                                       geometry=square(120.01, 30.0, 120.03, 30.01)))
    overlaps = [f for f in _report().findings if f.kind == "overlap"]
    assert sorted(tuple(f.codes) for f in overlaps) == [("990000001001001", "990000001001003"),
                                                        ("990000001001002", "990000001001003")]
    assert all("重叠网格" in f.message for f in overlaps)


def test_size_standard_urban_and_rural(settings):
    tree = build_test_tree()
    services.region_update(actor=None, region=tree["990000001001001"], effective_date=tree["990000001001001"]
                           .valid_from.replace(year=2025), households=650)
    services.region_update(actor=None, region=tree["990000001001002"], effective_date=tree["990000001001002"]
                           .valid_from.replace(year=2025), households=120)
    sizes = {f.codes[0]: f for f in _report().findings if f.kind == "size"}
    assert sizes["990000001001001"].suggestion.count("2")  # split into 2 grids
    assert sizes["990000001001002"].households == 120
    # the small east grid can merge with nobody: west has 650 (650 + 120 > 500)
    assert "990000001001001" not in sizes["990000001001002"].suggestion
    settings.GRIDGOV_URBAN_HOUSEHOLDS_MAX = 800
    sizes = {f.codes[0]: f for f in _report().findings if f.kind == "size"}
    assert "990000001001001" not in sizes
    assert "990000001001001" in sizes["990000001001002"].suggestion  # now 650 + 120 ≤ 800: merge suggested


def test_demo_district_is_seamless():
    report = grid_validation_report(regions_qs=Region.objects.filter(code__startswith="440306"))
    assert [f for f in report.findings if f.kind in ("overlap", "gap", "outside_parent")] == []
    assert any(f.kind == "size" for f in report.findings)  # the demo carries grids to adjust on purpose


def test_validation_api_is_scoped(as_user):
    body = as_user("street_dispatcher").get("/api/v1/grids/validation").json()
    street = Region.objects.filter(level="street").order_by("code").first()
    assert body["checked"] == Region.objects.subtree(street).exclude(status="retired").count()
    assert all(code.startswith(street.code) for f in body["findings"] for code in f["codes"])
    assert as_user("street_dispatcher").get("/api/v1/grids/validation?root=440306002").status_code == 404
