"""Grid layers (多网合一 never splits a base grid) and locate (finest grid, ancestors, layer grids)."""

import numpy as np
import pytest

from gridgov.common.errors import ValidationFailed
from gridgov.regions import services
from gridgov.regions.index import geo_index
from gridgov.regions.models import Layer, LayerGrid, Region
from gridgov.regions.tests.helpers import at, build_test_tree, square

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    regions = build_test_tree()
    geo_index.invalidate()
    return regions


def _merged():
    return Layer.objects.get(code="duowang")


def test_merged_grid_from_whole_base_grids(tree):
    grid = services.layer_grid_create(actor=None, layer=_merged(), code="T-DW1", name="测试综合网格",
                                      member_codes=["990000001001001", "990000001001002"])
    assert grid.households == 820
    assert grid.region.code == "990000001001"  # the community containing both members
    assert set(grid.memberships.values_list("region__code", "whole")) == {("990000001001001", True),
                                                                            ("990000001001002", True)}


def test_merged_grid_that_would_split_a_base_grid_is_refused(tree):
    before = LayerGrid.objects.count()
    with pytest.raises(ValidationFailed) as exc:  # covers the west grid and half of the east one
        services.layer_grid_create(actor=None, layer=_merged(), code="T-DW2", name="坏的",
                                   geometry=square(120.0, 30.0, 120.03, 30.02))
    assert exc.value.code == "splits_base_grid"
    assert [d["code"] for d in exc.value.details] == ["990000001001002"]
    assert exc.value.details[0]["covered_share"] == pytest.approx(0.5, abs=0.01)
    assert "东网格" in str(exc.value.message)
    assert LayerGrid.objects.count() == before


def test_merged_grid_drawn_along_base_boundaries_is_accepted(tree):
    grid = services.layer_grid_create(actor=None, layer=_merged(), code="T-DW3", name="按边界画",
                                      geometry=square(120.0, 30.0, 120.02, 30.02))
    assert list(grid.memberships.values_list("region__code", flat=True)) == ["990000001001001"]


def test_a_base_grid_belongs_to_one_merged_grid_only(tree):
    services.layer_grid_create(actor=None, layer=_merged(), code="T-DW4", name="a", member_codes=["990000001001001"])
    with pytest.raises(ValidationFailed) as exc:
        services.layer_grid_create(actor=None, layer=_merged(), code="T-DW5", name="b",
                                   member_codes=["990000001001001", "990000001001002"])
    assert exc.value.code == "already_member"
    assert not LayerGrid.objects.filter(code="T-DW5").exists()


def test_thematic_layer_may_cross_base_grids(tree):
    layer = Layer.objects.get(code="chengguan")
    grid = services.layer_grid_create(actor=None, layer=layer, code="T-CG1", name="跨网格城管区",
                                      geometry=square(120.01, 30.0, 120.03, 30.02))
    whole = dict(grid.memberships.values_list("region__code", "whole"))
    assert whole == {"990000001001001": False, "990000001001002": False}


def test_bulk_layer_create_reports_every_bad_item_and_writes_nothing(tree):
    before = LayerGrid.objects.count()
    items = [{"code": "T-OK", "name": "好", "member_codes": ["990000001001001"]},
             {"code": "T-BAD1", "name": "未知", "member_codes": ["990000001009999"]},
             {"code": "", "name": "无编码", "member_codes": ["990000001001002"]}]
    with pytest.raises(ValidationFailed) as exc:
        services.layer_grids_bulk_create(actor=None, layer=_merged(), items=items)
    assert [(d["index"], d["field"]) for d in exc.value.details] == [(1, "members"), (2, "code")]
    assert LayerGrid.objects.count() == before


def test_locate_returns_finest_grid_ancestors_and_layers(tree):
    services.layer_grid_create(actor=None, layer=_merged(), code="T-DW6", name="综合",
                               member_codes=["990000001001001"])
    geo_index.invalidate()
    located = geo_index.locate(*at(120.005, 30.01))
    assert located.finest.code == "990000001001001"
    assert [r.code for r in located.chain] == ["990000", "990000001", "990000001001", "990000001001001"]
    layer_codes = set(LayerGrid.objects.filter(pk__in=located.layer_grid_ids).values_list("code", flat=True))
    assert layer_codes == {"T-DW6"}
    assert geo_index.locate(*at(121.5, 31.5)) is None


def test_locate_prefers_special_over_micro_over_grid(db):
    micro = Region.objects.filter(level="micro").first()
    special = Region.objects.filter(level="special").first()
    for region in (micro, special):
        located = geo_index.locate(region.centroid_lon, region.centroid_lat)
        assert located.finest.code == region.code
        assert located.chain[-2].code == region.parent.code


def test_bulk_locate_agrees_with_one_by_one(db):
    district = Region.objects.get(level="district", code="440306")
    rng = np.random.default_rng(7)
    lons = rng.uniform(district.bbox_w - 0.01, district.bbox_e + 0.01, 500)
    lats = rng.uniform(district.bbox_s - 0.01, district.bbox_n + 0.01, 500)
    bulk = geo_index.locate_many(lons, lats)
    single = [geo_index.locate_id(x, y) or 0 for x, y in zip(lons, lats)]
    assert bulk.tolist() == single
    assert 0 < np.count_nonzero(bulk) < 500  # some points fall outside the district


def test_index_follows_committed_changes(django_db_blocker, tree):
    west = tree["990000001001001"]
    assert geo_index.locate_id(*at(120.005, 30.01)) == west.pk
    services.region_update(actor=None, region=west, effective_date=west.valid_from.replace(year=2025),
                           geometry=square(120.0, 30.0, 120.004, 30.02))
    geo_index.invalidate()  # what the on-commit hook does after a real commit
    assert geo_index.locate_id(*at(120.005, 30.01)) is None  # the point now lies in nobody's grid (a gap)
    assert geo_index.locate(*at(120.005, 30.01)).chain[-1].code == "990000001001"  # but in the community


def test_locate_api_outside_and_bad_input(as_user):
    client = as_user("worker_a")
    grid = Region.objects.filter(level="grid", status="active", code__startswith="440306").first()
    ok = client.get(f"/api/v1/grids/locate?lon={grid.centroid_lon}&lat={grid.centroid_lat}")
    assert ok.status_code == 200
    body = ok.json()
    assert body["ancestors"][0]["level"] == "district" and body["grid"]["code"].startswith(grid.code)
    assert {g["layer"] for g in body["layer_grids"]} >= {"jingge", "duowang"}
    outside = client.get("/api/v1/grids/locate?lon=100.0&lat=20.0")
    assert outside.status_code == 404 and outside.json()["code"] == "outside"
    bad = client.get("/api/v1/grids/locate?lon=east&lat=22.6")
    assert bad.status_code == 422 and bad.json()["field"] == "lon"
    out_of_range = client.get("/api/v1/grids/locate?lon=200&lat=22.6")
    assert out_of_range.status_code == 422 and out_of_range.json()["field"] == "lon"


def test_overlapping_grids_of_one_level_resolve_the_same_way_on_every_path(tree):
    """Two special grids overlapping (bad data happens): every lookup path picks the lower id."""
    first = services.region_create(actor=None, spec=_special("99000000100100151", 120.004, 120.008))
    second = services.region_create(actor=None, spec=_special("99000000100100152", 120.006, 120.010))
    geo_index.invalidate()
    x, y = at(120.007, 30.005)  # inside both
    winner = min(first.pk, second.pk)
    assert geo_index.locate_id(x, y) == winner
    assert geo_index.locate_many([x], [y]).tolist() == [winner]
    assert geo_index.locate(x, y).finest.id == winner
    assert {g.id for g in geo_index.locate(x, y).grids} >= {first.pk, second.pk}


def _special(code, x0, x1):
    from gridgov.regions.services import RegionSpec

    return RegionSpec(code=code, name=code, level="special", parent_code="990000001001001", special_kind="school",
                      geometry=square(x0, 30.004, x1, 30.006))


def test_cell_table_agrees_with_a_plain_polygon_scan(db):
    """Every answer of the fast path equals testing the point against every polygon (finest, lowest id)."""
    import shapely

    geo_index.ensure()
    rng = np.random.default_rng(11)
    w, s, e, n = shapely.total_bounds(geo_index.leaf_tree.geometries)
    lons, lats = rng.uniform(w - 0.005, e + 0.005, 3000), rng.uniform(s - 0.005, n + 0.005, 3000)
    geoms = geo_index.leaf_tree.geometries
    expected = []
    for x, y in zip(lons, lats):
        hits = np.flatnonzero(shapely.intersects_xy(geoms, x, y))
        if not len(hits):
            expected.append(0)
            continue
        best = max(hits, key=lambda h: (geo_index.leaf_prio[h], -geo_index.leaf_ids[h]))
        expected.append(int(geo_index.leaf_ids[best]))
    assert [geo_index.locate_id(x, y) or 0 for x, y in zip(lons, lats)] == expected
    assert geo_index.locate_many(lons, lats).tolist() == expected
