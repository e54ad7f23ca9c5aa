"""The region tree, its history, and changes with effective dates."""

import datetime as dt

import pytest

from gridgov.common.errors import ValidationFailed
from gridgov.common.models import AuditLog
from gridgov.regions import selectors, services
from gridgov.regions.models import GridChange, Region
from gridgov.regions.services import RegionSpec
from gridgov.regions.tests.helpers import D0, build_test_tree, square

pytestmark = pytest.mark.django_db


def test_tree_paths_nest_by_code():
    tree = build_test_tree()
    grid = tree["990000001001001"]
    assert grid.path == "/990000/990000001/990000001001/990000001001001/"
    assert set(Region.objects.subtree(tree["990000001"]).values_list("code", flat=True)) == set(tree) - {"990000"}
    assert [a.code for a in selectors.region_ancestors(grid)] == ["990000", "990000001", "990000001001"]


@pytest.mark.parametrize("level,parent,message_part", [
    ("grid", "990000001", "parent"),         # a grid under a street skips the community level
    ("street", None, "parent"),              # a street needs a parent
    ("community", "990000001001001", "parent"),
])
def test_wrong_parent_level_is_refused(level, parent, message_part):
    build_test_tree()
    before = Region.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.region_create(actor=None, spec=RegionSpec(code="990000009", name="x", level=level,
                                                             parent_code=parent))
    assert exc.value.field == message_part
    assert Region.objects.count() == before


def test_special_grid_needs_its_kind_and_duplicate_codes_are_refused():
    build_test_tree()
    with pytest.raises(ValidationFailed) as exc:
        services.region_create(actor=None, spec=RegionSpec(code="99000000100100151", name="学校", level="special",
                                                             parent_code="990000001001001"))
    assert exc.value.field == "special_kind"
    with pytest.raises(ValidationFailed) as exc:
        services.region_create(actor=None, spec=RegionSpec(code="990000001001001", name="重复", level="grid",
                                                             parent_code="990000001001"))
    assert exc.value.field == "code"


def test_invalid_polygon_is_refused_with_reason():
    build_test_tree()
    bowtie = {"type": "Polygon", "coordinates": [[[120, 30], [120.01, 30.01], [120.01, 30], [120, 30.01], [120, 30]]]}
    with pytest.raises(ValidationFailed) as exc:
        services.region_create(actor=None, spec=RegionSpec(code="990000001001003", name="坏", level="grid",
                                                             parent_code="990000001001", geometry=bowtie))
    assert exc.value.field == "geometry"
    assert "Self-intersection" in str(exc.value.message) or "valid" in str(exc.value.message)


def test_boundary_change_keeps_history_and_answers_as_of():
    tree = build_test_tree()
    west = tree["990000001001001"]
    services.region_update(actor=None, region=west, effective_date=dt.date(2025, 6, 1), reason="调整",
                           geometry=square(120.0, 30.0, 120.019, 30.02), households=380)
    west.refresh_from_db()
    assert west.households == 380
    versions = selectors.region_history(west)
    assert [(v.valid_from, v.valid_to) for v in versions] == [(D0, dt.date(2025, 6, 1)), (dt.date(2025, 6, 1), None)]
    assert versions[0].households == 400 and versions[1].households == 380
    change = GridChange.objects.filter(sources=west).latest("id")
    assert change.kind == "boundary" and change.reason == "调整"
    assert AuditLog.objects.filter(action="region.boundary", object_id=str(west.pk)).exists()

    from gridgov.accounts.models import User

    admin = User.objects.get(username="sysadmin")
    before = {v.code: v.households for v in selectors.region_versions_as_of(user=admin, on=dt.date(2025, 1, 1),
                                                                               level="grid") if v.code.startswith("99")}
    after = {v.code: v.households for v in selectors.region_versions_as_of(user=admin, on=dt.date(2025, 7, 1),
                                                                              level="grid") if v.code.startswith("99")}
    assert before == {"990000001001001": 400, "990000001001002": 420}
    assert after == {"990000001001001": 380, "990000001001002": 420}


def test_change_dated_before_current_state_is_refused_and_changes_nothing():
    tree = build_test_tree()
    west = tree["990000001001001"]
    with pytest.raises(ValidationFailed) as exc:
        services.region_update(actor=None, region=west, effective_date=dt.date(2023, 12, 31), households=1)
    assert exc.value.field == "effective_date"
    west.refresh_from_db()
    assert west.households == 400 and west.versions.count() == 1


def test_split_retires_source_and_history_links_both_sides():
    tree = build_test_tree()
    west = tree["990000001001001"]
    parts = [RegionSpec(code="990000001001003", name="西北", level="grid", households=200,
                        geometry=square(120.0, 30.01, 120.02, 30.02)),
             RegionSpec(code="990000001001004", name="西南", level="grid", households=210,
                        geometry=square(120.0, 30.0, 120.02, 30.01))]
    new = services.grid_split(actor=None, region=west, parts=parts, effective_date=dt.date(2025, 3, 1))
    west.refresh_from_db()
    assert west.status == "retired" and west.valid_to == dt.date(2025, 3, 1)
    assert {r.parent_id for r in new} == {west.parent_id}
    change = GridChange.objects.get(kind="split", sources=west)
    assert set(change.results.values_list("code", flat=True)) == {"990000001001003", "990000001001004"}
    from gridgov.accounts.models import User

    admin = User.objects.get(username="sysadmin")
    codes_2024 = {v.code for v in selectors.region_versions_as_of(user=admin, on=dt.date(2024, 6, 1), level="grid")}
    codes_2026 = {v.code for v in selectors.region_versions_as_of(user=admin, on=dt.date(2026, 1, 1), level="grid")}
    assert "990000001001001" in codes_2024 and "990000001001003" not in codes_2024
    assert "990000001001001" not in codes_2026 and {"990000001001003", "990000001001004"} <= codes_2026


def test_split_parts_must_cover_the_grid_exactly():
    tree = build_test_tree()
    west = tree["990000001001001"]
    parts = [RegionSpec(code="990000001001003", name="a", level="grid", geometry=square(120.0, 30.0, 120.01, 30.02)),
             RegionSpec(code="990000001001004", name="b", level="grid", geometry=square(120.011, 30.0, 120.02, 30.02))]
    with pytest.raises(ValidationFailed) as exc:
        services.grid_split(actor=None, region=west, parts=parts, effective_date=dt.date(2025, 3, 1))
    assert exc.value.field == "parts" and "未覆盖" in str(exc.value.message)
    west.refresh_from_db()
    assert west.status == "active"
    assert not Region.objects.filter(code="990000001001003").exists()


def test_merge_unions_siblings_and_sums_households():
    tree = build_test_tree()
    merged = services.grids_merge(actor=None, regions=[tree["990000001001001"], tree["990000001001002"]],
                                  spec=RegionSpec(code="990000001001009", name="合并", level="grid"),
                                  effective_date=dt.date(2025, 9, 1))
    assert merged.households == 820
    assert merged.area_m2 == pytest.approx(tree["990000001001001"].area_m2 * 2, rel=0.01)
    assert Region.objects.filter(code__in=["990000001001001", "990000001001002"], status="retired").count() == 2


def test_merge_refuses_grids_of_different_parents():
    build_test_tree()
    other = Region.objects.filter(level="grid", status="active").exclude(code__startswith="99").first()
    with pytest.raises(ValidationFailed):
        services.grids_merge(actor=None, regions=[Region.objects.get(code="990000001001001"), other],
                             spec=RegionSpec(code="990000001001009", name="x", level="grid"),
                             effective_date=dt.date(2025, 9, 1))


def test_reserve_activate_and_retire():
    tree = build_test_tree()
    reserved = services.region_create(
        actor=None, valid_from=dt.date(2025, 1, 1), spec=RegionSpec(
            code="990000001001005", name="预留网格", level="grid", parent_code="990000001001", status="reserved"))
    assert GridChange.objects.get(results=reserved).kind == "reserve"
    services.region_set_status(actor=None, region=reserved, status="active", effective_date=dt.date(2026, 1, 1))
    reserved.refresh_from_db()
    assert reserved.status == "active"
    with pytest.raises(ValidationFailed):  # a community with grids below cannot simply be retired
        services.region_set_status(actor=None, region=tree["990000001001"], status="retired",
                                   effective_date=dt.date(2026, 2, 1))


def test_demo_history_shows_the_split_on_the_right_dates():
    from gridgov.demo import SPLIT_DATE

    change = GridChange.objects.get(kind="split")
    source = change.sources.get()
    assert source.status == "retired" and source.valid_to == SPLIT_DATE
    assert change.results.count() == 2


def test_history_api_links_a_split_grid_to_its_parts(as_user):
    change = GridChange.objects.get(kind="split")
    source = change.sources.get()
    history = as_user("sysadmin").get(f"/api/v1/regions/{source.pk}/history").json()
    assert [h["change_kind"] for h in history] == ["import", "split"]
    assert history[0]["related"] == []  # the initial bulk import does not list the whole district
    assert history[1]["related"] == sorted(change.results.values_list("code", flat=True))
    assert history[1]["status"] == "retired" and history[1]["reason"]
