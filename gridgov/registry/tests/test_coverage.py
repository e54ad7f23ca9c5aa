"""基础信息采集率 computed by hand on a small fixture: street 1 emptied, two grids of community 1 given declared figures,
a few people and households recorded (one in a micro-grid of grid A), rolled up to the community and the street."""

import pytest

from gridgov.regions.models import Region
from gridgov.registry import selectors, services
from gridgov.registry.models import House, Household, Person
from gridgov.registry.tests.conftest import new_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixture(user, grid_a, settings):
    settings.GRIDGOV_COLLECTION_TARGET_PERCENT = 95
    street = Region.objects.get(code=grid_a.path.strip("/").split("/")[1])
    community = grid_a.parent
    sibling = community.children.filter(level="grid", status="active").exclude(pk=grid_a.pk).order_by("code").first()
    subtree = Region.objects.filter(path__startswith=street.path)
    for model in (Person, Household, House):
        model.objects.filter(grid__path__startswith=street.path).update(is_active=False)
    subtree.update(population=0, households=0)
    Region.objects.filter(pk=grid_a.pk).update(population=10, households=4)
    Region.objects.filter(pk=sibling.pk).update(population=5, households=2)
    Region.objects.filter(pk=community.pk).update(population=15, households=6)
    Region.objects.filter(pk=street.pk).update(population=100, households=40)
    actor = user("community")
    micro = grid_a.children.filter(level="micro").order_by("code").first()
    for i in range(3):
        services.person_create(actor=actor, data={"name": f"甲{i}", "id_number": new_id(), "grid_code": grid_a.code})
    services.person_create(actor=actor, data={"name": "微格", "id_number": new_id(), "grid_code": micro.code})
    for i in range(5):
        services.person_create(actor=actor, data={"name": f"乙{i}", "id_number": new_id(), "grid_code": sibling.code})
    for i in range(2):
        services.household_create(actor=actor, data={"number": f"HA{i}", "grid_code": grid_a.code})
        services.household_create(actor=actor, data={"number": f"HB{i}", "grid_code": sibling.code})
    services.house_create(actor=actor, data={"address": "覆盖路1号", "grid_code": grid_a.code})
    return {"street": street, "community": community, "a": grid_a, "b": sibling, "micro": micro}


def test_numbers_by_hand(user, fixture):
    tree = selectors.coverage_tree(user=user("dispatcher"))
    a, b = tree[fixture["a"].pk], tree[fixture["b"].pk]
    assert (a.people, a.population, a.people_rate) == (4, 10, 40.0)  # 3 in the grid + 1 in its micro-grid
    assert (a.households_recorded, a.households, a.households_rate) == (2, 4, 50.0)
    assert a.houses == 1
    assert (b.people_rate, b.households_rate) == (100.0, 100.0)
    community = tree[fixture["community"].pk]
    assert (community.people, community.people_rate, community.households_recorded, community.households_rate) == \
        (9, 60.0, 4, 66.7)
    street = tree[fixture["street"].pk]
    assert (street.people, street.people_rate, street.households_rate) == (9, 9.0, 10.0)
    assert tree[fixture["micro"].pk].people == 1
    # A grid with nothing declared has no rate (not 0%, not a division by zero).
    empty = next(c for c in tree.values() if c.level == "grid" and c.population == 0
                 and c.path.startswith(fixture["street"].path))
    assert empty.people_rate is None and not empty.below(95)


def test_grids_below_target(user, fixture, settings):
    summary = selectors.coverage_summary(user=user("street_dispatcher"))
    below = [c.code for c in summary["below_target"] if c.code.startswith(fixture["street"].code)]
    assert below == [fixture["a"].code]  # B is at 100%, the others declare nobody
    settings.GRIDGOV_COLLECTION_TARGET_PERCENT = 40
    summary = selectors.coverage_summary(user=user("street_dispatcher"))
    assert fixture["a"].code not in [c.code for c in summary["below_target"]]  # 40% people, 50% households


def test_api_and_page(as_user, fixture):
    client = as_user("community")
    body = client.get("/api/v1/registry/coverage").json()
    assert body["region"]["code"] == fixture["community"].code and body["region"]["people_rate"] == 60.0
    children = {c["code"]: c for c in body["children"]}
    assert children[fixture["a"].code]["below_target"] is True
    assert children[fixture["b"].code]["below_target"] is False
    listed = client.get("/api/v1/registry/coverage/below-target").json()
    assert [c["code"] for c in listed["items"]] == [fixture["a"].code]
    drill = client.get("/api/v1/registry/coverage", {"region": fixture["a"].code}).json()
    assert drill["region"]["people"] == 4
    assert client.get("/api/v1/registry/coverage", {"region": fixture["street"].code}).status_code == 404
    page = client.get("/registry/coverage/").content.decode()
    assert "60.0%" in page and fixture["a"].name in page and "no-store" in client.get("/registry/coverage/")[
        "Cache-Control"]


def test_worker_sees_only_their_grid(as_user, fixture):
    body = as_user("worker_a").get("/api/v1/registry/coverage").json()
    assert body["region"]["code"] == fixture["a"].code and body["region"]["people"] == 4


def test_query_count_does_not_grow_with_the_territory(user, fixture, django_assert_max_num_queries):
    dispatcher, worker = user("dispatcher"), user("worker_a")
    selectors.coverage_tree(user=dispatcher)  # warm the scope caches
    selectors.coverage_tree(user=worker)
    with django_assert_max_num_queries(4):
        whole = selectors.coverage_tree(user=dispatcher)
    with django_assert_max_num_queries(4):
        selectors.coverage_tree(user=worker)
    assert len(whole) > 40
