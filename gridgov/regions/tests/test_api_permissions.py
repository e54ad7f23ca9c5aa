"""Permission matrix of the territory API (/api/v1): who gets in, who sees what, who may change anything.

Rules under test (gridgov/common/scoping.py): deny by default; every read is scoped to the persona's subtree of
the region tree; a region outside it answers 404 exactly like a region that does not exist; only the system
administrator writes. Symbolic region names (GRID_A, STREET_1, …) are explained in permission_matrix.py.
"""

import json

import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from shapely.geometry import LineString, mapping
from shapely.ops import split as split_geometry

from gridgov.accounts.tests.permission_matrix import (  # noqa: F401  (fixtures)
    PERSONAS,
    client_for,
    db_snapshot,
    get_all,
    inside,
    territory,
)
from gridgov.regions.geometry import AREA_TOLERANCE_M2, area_m2, load

NOT_RETIRED = {"active", "reserved"}


# ======================================================================================================================
# Requests: every /api/v1 operation with a concrete URL (and, for writes, a body the system administrator may send)
# ======================================================================================================================
def _box_inside(region, half=0.0003) -> dict:
    """A small square well inside a region (a valid new special grid / layer grid)."""
    geom = load(region.geometry)
    p = geom.representative_point()
    box = shapely.box(p.x - half, p.y - half, p.x + half, p.y + half).intersection(geom)
    assert box.geom_type == "Polygon" and box.area > 0
    return mapping(box)


def _geojson_file(features: list[dict]) -> SimpleUploadedFile:
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    return SimpleUploadedFile("upload.geojson", body, content_type="application/geo+json")


def _leaf_grid(street):
    from gridgov.regions.models import Region

    return next(g for g in Region.objects.filter(level="grid", status="active", code__startswith=street.code)
                .order_by("code") if not g.children.exists())


def _two_siblings(street):
    from gridgov.regions.models import Region

    grids = list(Region.objects.filter(level="grid", status="active", code__startswith=street.code).order_by("code"))
    for a in grids:
        for b in grids:
            if a.code < b.code and a.parent_id == b.parent_id:
                return a, b
    raise AssertionError("the demo has no two sibling grids")


def _split_parts(grid) -> list[dict]:
    geom = load(grid.geometry)
    c = geom.centroid
    halves = sorted(split_geometry(geom, LineString([(c.x, geom.bounds[1] - 1), (c.x, geom.bounds[3] + 1)])).geoms,
                    key=lambda g: g.centroid.x)
    return [{"code": f"{grid.parent.code}9{i + 1:02d}", "name": f"测试拆分{i + 1}", "geometry": mapping(h)}
            for i, h in enumerate(halves[:2])]


def _split_request(grid):
    return ("post", f"/api/v1/regions/{grid.pk}/split", {"effective_date": "2026-06-01", "parts": _split_parts(grid)})


def _merge_request(a, b):
    return ("post", "/api/v1/regions/merge", {
        "regions": [a.code, b.code], "into": {"code": f"{a.parent.code}903", "name": "测试合并网格"},
        "effective_date": "2026-06-01"})


def _doomed_layer_grid():
    from gridgov.regions.models import LayerGrid

    return LayerGrid.objects.filter(layer__code="chengguan").order_by("code").first()


# name → t ↦ (method, url, payload). JSON bodies are dicts; multipart uploads are {"file": …}. Built lazily: a test
# only pays for the request it sends.
WRITE_REQUESTS = {
    "create region": lambda t: ("post", "/api/v1/regions", {
        "code": f"{t.code('GRID_A')}59", "name": "测试学校专属网格", "level": "special", "parent": t.code("GRID_A"),
        "special_kind": "school", "geometry": _box_inside(t["GRID_A"]), "effective_date": "2026-06-01"}),
    "change region": lambda t: ("patch", f"/api/v1/regions/{t.id('GRID_A')}", {
        "effective_date": "2026-06-01", "name": "改名测试网格", "households": 1}),
    "set status": lambda t: ("post", f"/api/v1/regions/{t.id('RESERVED_GRID')}/status", {
        "status": "active", "effective_date": "2026-06-01", "reason": "新小区入住"}),
    "split": lambda t: _split_request(_leaf_grid(t["STREET_2"])),
    "merge": lambda t: _merge_request(*_two_siblings(t["STREET_2"])),
    "import regions": lambda t: ("post", "/api/v1/regions/import?effective_date=2026-06-01", {"file": _geojson_file([{
        "type": "Feature", "geometry": _box_inside(t["GRID_A"]),
        "properties": {"code": f"{t.code('GRID_A')}58", "name": "测试医院专属网格", "level": "special",
                       "parent": t.code("GRID_A"), "special_kind": "hospital"}}])}),
    "create layer": lambda t: ("post", "/api/v1/layers", {"code": "testlayer", "name": "测试图层"}),
    "add duowang grid": lambda t: ("post", "/api/v1/layers/duowang/grids", {
        "code": "DWTEST", "name": "测试综合网格", "geometry": t["RESERVED_GRID"].geometry}),
    "delete layer grid": lambda t: ("delete", f"/api/v1/layers/chengguan/grids/{_doomed_layer_grid().code}", None),
    "import layer grids": lambda t: ("post", "/api/v1/layers/chengguan/import", {"file": _geojson_file([{
        "type": "Feature", "geometry": _box_inside(t["GRID_A"]),
        "properties": {"code": "CGTEST", "name": "测试城管责任区"}}])}),
}


def read_requests(t) -> dict:
    from gridgov.accounts.models import Department

    dept = Department.objects.order_by("code").first()
    return {
        "locate": ("get", "/api/v1/grids/locate?lon=113.855&lat=22.675", None),
        "locate many": ("post", "/api/v1/grids/locate", {"points": [[113.855, 22.675]]}),
        "validation": ("get", "/api/v1/grids/validation", None),
        "region list": ("get", "/api/v1/regions", None),
        "region geojson": ("get", "/api/v1/regions/geojson?level=grid", None),
        "region export": ("get", "/api/v1/regions/export", None),
        "region detail": ("get", f"/api/v1/regions/{t.id('GRID_A')}", None),
        "region geometry": ("get", f"/api/v1/regions/{t.id('GRID_A')}/geometry", None),
        "region history": ("get", f"/api/v1/regions/{t.id('GRID_A')}/history", None),
        "layer list": ("get", "/api/v1/layers", None),
        "layer grids": ("get", "/api/v1/layers/jingge/grids", None),
        "layer geojson": ("get", "/api/v1/layers/jingge/geojson", None),
        "me": ("get", "/api/v1/me", None),
        "user list": ("get", "/api/v1/users", None),
        "department list": ("get", "/api/v1/departments", None),
        "department detail": ("get", f"/api/v1/departments/{dept.pk}", None),
    }


# Each operation of the API, as the OpenAPI schema names it.
OPERATIONS = {
    "locate": ("GET", "/api/v1/grids/locate"),
    "locate many": ("POST", "/api/v1/grids/locate"),
    "validation": ("GET", "/api/v1/grids/validation"),
    "region list": ("GET", "/api/v1/regions"),
    "region geojson": ("GET", "/api/v1/regions/geojson"),
    "region export": ("GET", "/api/v1/regions/export"),
    "region detail": ("GET", "/api/v1/regions/{region_id}"),
    "region geometry": ("GET", "/api/v1/regions/{region_id}/geometry"),
    "region history": ("GET", "/api/v1/regions/{region_id}/history"),
    "layer list": ("GET", "/api/v1/layers"),
    "layer grids": ("GET", "/api/v1/layers/{code}/grids"),
    "layer geojson": ("GET", "/api/v1/layers/{code}/geojson"),
    "me": ("GET", "/api/v1/me"),
    "user list": ("GET", "/api/v1/users"),
    "department list": ("GET", "/api/v1/departments"),
    "department detail": ("GET", "/api/v1/departments/{dept_id}"),
    "create region": ("POST", "/api/v1/regions"),
    "change region": ("PATCH", "/api/v1/regions/{region_id}"),
    "set status": ("POST", "/api/v1/regions/{region_id}/status"),
    "split": ("POST", "/api/v1/regions/{region_id}/split"),
    "merge": ("POST", "/api/v1/regions/merge"),
    "import regions": ("POST", "/api/v1/regions/import"),
    "create layer": ("POST", "/api/v1/layers"),
    "add duowang grid": ("POST", "/api/v1/layers/{code}/grids"),
    "delete layer grid": ("DELETE", "/api/v1/layers/{code}/grids/{grid_code}"),
    "import layer grids": ("POST", "/api/v1/layers/{code}/import"),
}
READS = [name for name in OPERATIONS if OPERATIONS[name][0] == "GET" or name == "locate many"]
WRITES = [name for name in OPERATIONS if name not in READS]


def send(client, request):
    method, url, payload = request
    if payload is None:
        return getattr(client, method)(url)
    if "file" in payload:
        return getattr(client, method)(url, data=payload)  # multipart
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


def test_the_matrix_covers_every_api_operation():
    """If an endpoint is added, it must be added to the matrix (and so be checked for 401/403/scope)."""
    from gridgov.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    in_api = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    covered = list(OPERATIONS.values())
    for module in _other_matrices():  # each app keeps the matrix of its own endpoints beside its tests
        covered += list(module.OPERATIONS.values())
    assert in_api == set(covered)
    assert len(covered) == len(set(covered))


def _other_matrices():
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in sorted(root.glob("*/tests/test_api_permissions.py")):
        if path.resolve() != Path(__file__).resolve():
            yield importlib.import_module(f"gridgov.{path.parts[-3]}.tests.test_api_permissions")


def test_every_operation_has_a_request(territory):
    assert set(read_requests(territory)) == set(READS)
    assert set(WRITE_REQUESTS) == set(WRITES)


# ======================================================================================================================
# Without: anonymous gets 401 {"code": "unauthenticated"} everywhere, and writes nothing
# ======================================================================================================================
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_anonymous_gets_401_unauthenticated(client_for, territory, operation):
    request = read_requests(territory)[operation] if operation in READS else WRITE_REQUESTS[operation](territory)
    before = db_snapshot()

    response = send(client_for("anonymous"), request)

    assert response.status_code == 401, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "unauthenticated"
    assert response.json()["message"]
    assert db_snapshot() == before


@pytest.mark.parametrize("operation", READS)
def test_every_read_answers_a_logged_in_user(client_for, territory, operation):
    """The positive control for the 401 matrix: the same requests succeed with a session."""
    response = send(client_for("worker_a"), read_requests(territory)[operation])
    assert response.status_code == 200, response.content[:300]


# ======================================================================================================================
# Scope of reads: GET /api/v1/regions (and its map/export twins) returns exactly the persona's subtree
# ======================================================================================================================
REGION_SCOPE = [
    # persona              sees the subtree of      why
    ("sysadmin",           "DISTRICT"),             # whole territory (administrator)
    ("secadmin",           "DISTRICT"),             # whole territory (administrator)
    ("leader",             "DISTRICT"),             # org unit: the district
    ("dispatcher",         "DISTRICT"),             # org unit: the district
    ("hotline",            "DISTRICT"),             # 12345 office belongs to the district
    ("street_dispatcher",  "STREET_1"),             # org unit: street 1
    ("police",             "STREET_1"),             # 派出所 of street 1 serves street 1
    ("community",          "COMMUNITY_1"),          # org unit: community 1
    ("gridleader",         "GRID_A"),               # leads grid A
    ("worker_a",           "GRID_A"),               # serves grid A
    ("worker_b",           "GRID_B"),               # serves grid B
    ("auditadmin",         None),                   # audits the log only: no territory at all
]


def _expected_codes(territory, root, *, level=None, include_retired=False) -> set[str]:
    from gridgov.regions.models import Region

    root_code = territory.code(root) if root else None
    return {code for code, lv, status in Region.objects.values_list("code", "level", "status")
            if inside(code, root_code) and (include_retired or status in NOT_RETIRED) and (level in (None, lv))}


def test_the_scope_table_tells_personas_apart(territory):
    """Sanity of the oracle itself: the scopes are non-empty and nested as the table claims."""
    grid_a, grid_b = _expected_codes(territory, "GRID_A"), _expected_codes(territory, "GRID_B")
    street_1, district = _expected_codes(territory, "STREET_1"), _expected_codes(territory, "DISTRICT")
    assert grid_a and grid_b and not grid_a & grid_b
    assert grid_a | grid_b < _expected_codes(territory, "STREET_1") < district
    assert _expected_codes(territory, "COMMUNITY_1") < street_1
    assert territory.code("STREET_2_GRID") in district - street_1


@pytest.mark.parametrize("persona, root", REGION_SCOPE)
def test_region_list_is_exactly_the_persona_scope(client_for, territory, persona, root):
    items = get_all(client_for(persona), "/api/v1/regions")
    codes = [item["code"] for item in items]

    assert len(codes) == len(set(codes))
    assert set(codes) == _expected_codes(territory, root)
    assert all(item["status"] != "retired" for item in items)


def test_worker_a_sees_grid_a_and_its_micro_and_special_grids_only(client_for, territory):
    items = get_all(client_for("worker_a"), "/api/v1/regions")

    by_level = {}
    for item in items:
        by_level.setdefault(item["level"], []).append(item)
    assert [g["code"] for g in by_level.pop("grid")] == [territory.code("GRID_A")]
    assert set(by_level) <= {"micro", "special"} and by_level.get("micro")
    assert all(i["parent_id"] == territory.id("GRID_A") for lv in by_level.values() for i in lv)


def test_street_dispatcher_sees_street_1_and_nothing_else(client_for, territory):
    from gridgov.regions.models import Region

    street_1 = territory["STREET_1"]
    response = client_for("street_dispatcher").get("/api/v1/regions")
    items = get_all(client_for("street_dispatcher"), "/api/v1/regions")

    assert all(item["code"].startswith(street_1.code) for item in items)
    db_count = Region.objects.filter(code__startswith=street_1.code).exclude(status="retired").count()
    assert response.json()["count"] == len(items) == db_count


@pytest.mark.parametrize("persona, query, outside", [
    # persona              query string                         must not reveal
    ("worker_a",           "parent={STREET_2}",                 "STREET_2"),
    ("worker_a",           "parent={COMMUNITY_1}",              "COMMUNITY_1"),
    ("worker_a",           "q={GRID_B.name}",                   "GRID_B"),
    ("worker_a",           "q={STREET_2_GRID.code}",            "STREET_2_GRID"),
    ("worker_a",           "include_retired=true",              "RETIRED_GRID"),
    ("street_dispatcher",  "parent={STREET_2}",                 "STREET_2"),
    ("street_dispatcher",  "q={STREET_2.code}",                 "STREET_2"),
    ("auditadmin",         "include_retired=true&level=grid",   "GRID_A"),
])
def test_region_list_filters_never_reach_outside_the_scope(client_for, territory, persona, query, outside):
    values = {name: region.pk for name, region in territory.items()}
    query = query.replace("{GRID_B.name}", territory["GRID_B"].name)
    query = query.replace("{STREET_2_GRID.code}", territory.code("STREET_2_GRID"))
    query = query.replace("{STREET_2.code}", territory.code("STREET_2")).format(**values)

    response = client_for(persona).get(f"/api/v1/regions?{query}")

    assert response.status_code == 200
    codes = {item["code"] for item in response.json()["items"]}
    assert territory.code(outside) not in codes
    root = dict(REGION_SCOPE)[persona]
    assert all(inside(code, territory.code(root) if root else None) for code in codes)


def test_include_retired_adds_retired_grids_of_the_scope_only(client_for, territory):
    codes = {i["code"] for i in get_all(client_for("street_dispatcher"), "/api/v1/regions?include_retired=true")}
    assert codes == _expected_codes(territory, "STREET_1", include_retired=True)
    assert territory.code("RETIRED_GRID") in codes


@pytest.mark.parametrize("persona, root", REGION_SCOPE)
def test_grid_map_geojson_has_only_grids_in_scope(client_for, territory, persona, root):
    response = client_for(persona).get("/api/v1/regions/geojson?level=grid")

    assert response.status_code == 200
    features = response.json()["features"]
    codes = [f["properties"]["code"] for f in features]
    assert len(codes) == len(set(codes))
    assert set(codes) == _expected_codes(territory, root, level="grid")
    assert all(f["geometry"] for f in features)


@pytest.mark.parametrize("persona, root", [row for row in REGION_SCOPE if row[0] in
                                           ("worker_a", "worker_b", "street_dispatcher", "auditadmin", "leader")])
def test_grid_map_as_of_a_past_date_has_only_grids_in_scope(client_for, territory, persona, root):
    response = client_for(persona).get("/api/v1/regions/geojson?level=grid&as_of=2024-06-01")

    assert response.status_code == 200
    codes = {f["properties"]["code"] for f in response.json()["features"]}
    root_code = territory.code(root) if root else None
    assert all(inside(code, root_code) for code in codes)
    assert bool(codes) == (root is not None)
    if persona == "worker_a":
        assert codes == {territory.code("GRID_A")}


@pytest.mark.parametrize("persona, root", REGION_SCOPE)
def test_region_export_has_only_regions_in_scope(client_for, territory, persona, root):
    response = client_for(persona).get("/api/v1/regions/export")

    assert response.status_code == 200
    codes = {f["properties"]["code"] for f in json.loads(response.content)["features"]}
    assert codes == _expected_codes(territory, root)


# ======================================================================================================================
# Out of scope: one region by id answers 404 (never 403), exactly like an id that does not exist
# ======================================================================================================================
REGION_ACCESS = [
    # persona              region            visible
    ("worker_a",           "GRID_A",         True),
    ("worker_a",           "MICRO_A",        True),
    ("worker_a",           "GRID_B",         False),
    ("worker_a",           "COMMUNITY_1",    False),   # not even the community above its grid
    ("worker_a",           "STREET_2_GRID",  False),
    ("worker_a",           "RETIRED_GRID",   False),
    ("worker_b",           "GRID_B",         True),
    ("worker_b",           "GRID_A",         False),
    ("gridleader",         "GRID_A",         True),
    ("gridleader",         "GRID_B",         False),
    ("community",          "GRID_A",         True),
    ("community",          "GRID_B",         False),
    ("street_dispatcher",  "GRID_B",         True),
    ("street_dispatcher",  "RETIRED_GRID",   True),
    ("street_dispatcher",  "STREET_2_GRID",  False),
    ("street_dispatcher",  "STREET_2",       False),
    ("street_dispatcher",  "DISTRICT",       False),
    ("police",             "GRID_A",         True),
    ("police",             "STREET_2_GRID",  False),
    ("hotline",            "STREET_2_GRID",  True),
    ("dispatcher",         "STREET_2_GRID",  True),
    ("leader",             "STREET_2_GRID",  True),
    ("sysadmin",           "STREET_2_GRID",  True),
    ("secadmin",           "RETIRED_GRID",   True),
    ("auditadmin",         "DISTRICT",       False),
    ("auditadmin",         "GRID_A",         False),
]
ONE_REGION = ["/api/v1/regions/{id}", "/api/v1/regions/{id}/history", "/api/v1/regions/{id}/geometry"]


def _codes_in(endpoint: str, body) -> set[str]:
    if endpoint.endswith("/history"):
        return {version["code"] for version in body}
    if endpoint.endswith("/geometry"):
        return {body["properties"]["code"]}
    return {body["code"]}


@pytest.mark.parametrize("endpoint", ONE_REGION)
@pytest.mark.parametrize("persona, region, visible", REGION_ACCESS)
def test_one_region_in_scope_200_out_of_scope_404(client_for, territory, endpoint, persona, region, visible):
    from gridgov.regions.models import Region

    client = client_for(persona)
    target = territory[region]

    response = client.get(endpoint.format(id=target.pk))

    if visible:
        assert response.status_code == 200, response.content[:300]
        assert target.code in _codes_in(endpoint, response.json())
    else:
        assert response.status_code == 404, response.content[:300]
        assert response.json()["code"] == "not_found"
        assert target.code not in response.content.decode() and target.name not in response.content.decode()
        # Indistinguishable from a region that does not exist: existence is not disclosed.
        missing_id = Region.objects.order_by("-pk").first().pk + 1000
        nothing = client.get(endpoint.format(id=missing_id))
        assert nothing.status_code == 404 and nothing.json() == response.json()


def test_validation_report_of_a_root_outside_the_scope_is_404(client_for, territory):
    client = client_for("worker_a")
    assert client.get(f"/api/v1/grids/validation?root={territory.code('GRID_A')}").status_code == 200
    response = client.get(f"/api/v1/grids/validation?root={territory.code('STREET_2')}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = client.get(f"/api/v1/regions/export?root={territory.code('GRID_B')}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# ======================================================================================================================
# Layer grids: a persona sees the grids of other layers that overlap their own territory
# ======================================================================================================================
LAYERS = ["jingge", "duowang", "chengguan"]
LAYER_SCOPE = [
    # persona              territory
    ("worker_a",           "GRID_A"),
    ("worker_b",           "GRID_B"),
    ("street_dispatcher",  "STREET_1"),
    ("sysadmin",           "DISTRICT"),
    ("auditadmin",         None),
]


def _layer_grids_overlapping(layer: str, region) -> set[str]:
    """Oracle by geometry: the layer's grids sharing more than the snapping tolerance of area with the base grids
    of the region (their union, not the region's own outline: the two differ by slivers along the edges)."""
    from gridgov.regions.models import LayerGrid, Region

    if region is None:
        return set()
    base_grids = Region.objects.filter(level="grid", code__startswith=region.code).exclude(status="retired")
    geom = shapely.union_all([load(g) for g in base_grids.values_list("geometry", flat=True)])
    return {code for code, g in LayerGrid.objects.filter(layer__code=layer).values_list("code", "geometry")
            if area_m2(geom.intersection(load(g))) > AREA_TOLERANCE_M2}


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("persona, root", LAYER_SCOPE)
def test_layer_grids_overlapping_the_persona_territory_only(client_for, territory, persona, root, layer):
    from gridgov.regions.models import LayerGrid

    expected = _layer_grids_overlapping(layer, territory[root] if root else None)
    items = get_all(client_for(persona), f"/api/v1/layers/{layer}/grids")

    assert {item["code"] for item in items} == expected
    if root is not None:
        assert expected  # every persona with a territory has some of every layer
    if root not in ("DISTRICT", None):
        assert len(expected) < LayerGrid.objects.filter(layer__code=layer).count()


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_geojson_has_only_the_layer_grids_of_worker_a(client_for, territory, layer):
    response = client_for("worker_a").get(f"/api/v1/layers/{layer}/geojson")

    assert response.status_code == 200
    codes = {f["properties"]["code"] for f in response.json()["features"]}
    assert codes == _layer_grids_overlapping(layer, territory["GRID_A"])


def test_worker_a_does_not_see_the_layer_grids_of_grid_b(client_for, territory):
    client = client_for("worker_a")
    own = {i["code"] for layer in LAYERS for i in get_all(client, f"/api/v1/layers/{layer}/grids")}
    only_b = set().union(*(_layer_grids_overlapping(layer, territory["GRID_B"]) for layer in LAYERS)) - \
        set().union(*(_layer_grids_overlapping(layer, territory["GRID_A"]) for layer in LAYERS))
    assert only_b and not own & only_b


# ======================================================================================================================
# Writes: only the system administrator; everyone else 403 {"code": "forbidden"} and the database is untouched
# ======================================================================================================================
SYSADMIN_WRITES = [
    # write                   status   the write is visible as
    ("create region",         201,     "regions"),
    ("change region",         200,     "region states"),
    ("set status",            200,     "region states"),
    ("split",                 201,     "regions"),
    ("merge",                 201,     "regions"),
    ("import regions",        200,     "regions"),
    ("create layer",          201,     "layers"),
    ("add duowang grid",      201,     "layer grids"),
    ("delete layer grid",     204,     "layer grids"),
    ("import layer grids",    200,     "layer grids"),
]


def test_the_write_table_lists_every_write():
    assert sorted(row[0] for row in SYSADMIN_WRITES) == sorted(WRITES)


@pytest.mark.parametrize("write, status, changes", SYSADMIN_WRITES)
def test_sysadmin_may_write(client_for, territory, write, status, changes):
    client = client_for("sysadmin")
    request = WRITE_REQUESTS[write](territory)
    before = db_snapshot()

    response = send(client, request)

    assert response.status_code == status, response.content[:500]
    after = db_snapshot()
    assert after[changes] != before[changes]
    assert after["audit rows"] > before["audit rows"]  # every change is audited


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "sysadmin"])
def test_everyone_else_gets_403_and_nothing_changes(client_for, territory, persona, write):
    client = client_for(persona)
    request = WRITE_REQUESTS[write](territory)
    before = db_snapshot()

    response = send(client, request)

    assert response.status_code == 403, response.content[:300]
    assert response.json()["code"] == "forbidden"
    assert db_snapshot() == before


@pytest.mark.parametrize("persona", ["worker_a", "street_dispatcher", "leader"])
def test_writes_to_a_region_in_scope_are_still_forbidden(client_for, territory, persona):
    """Seeing a region does not mean changing it: worker_a's own grid, the street dispatcher's own street."""
    region = territory["GRID_A"]
    client = client_for(persona)
    before = db_snapshot()

    response = client.patch(f"/api/v1/regions/{region.pk}", content_type="application/json",
                            data=json.dumps({"effective_date": "2026-06-01", "name": "x"}))

    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert db_snapshot() == before


def test_sysadmin_adding_a_taken_base_grid_to_a_merged_layer_gets_422_not_a_crash(territory):
    """A validation error for the one persona allowed to write must be a 4xx answer, never a server error.

    A new grid is created after the spatial index was built (as after a restart, or in another worker process);
    putting it into a second 多网合一 grid must be refused with 422 "already_member".
    """
    from django.test import Client

    from gridgov.accounts.models import User

    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="sysadmin"))
    assert client.get("/api/v1/grids/locate?lon=113.855&lat=22.675").status_code == 200  # the index is built
    code = f"{territory.code('COMMUNITY_2')}950"
    created = send(client, ("post", "/api/v1/regions", {
        "code": code, "name": "测试新网格", "level": "grid", "parent": territory.code("COMMUNITY_2"),
        "geometry": _box_inside(territory["RESERVED_GRID"]), "effective_date": "2026-06-01"}))
    assert created.status_code == 201, created.content[:300]
    url = "/api/v1/layers/duowang/grids"
    first = send(client, ("post", url, {"code": "DW-NEW-1", "name": "甲", "members": [code]}))
    assert first.status_code == 201, first.content[:300]

    second = send(client, ("post", url, {"code": "DW-NEW-2", "name": "乙", "members": [code]}))

    assert second.status_code == 422, second.content[:300]
    assert second.json()["code"] == "already_member"
