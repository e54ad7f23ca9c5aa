"""The registry API's permission matrix: anonymous 401 everywhere; who reads (and what is out of their area: 404),
who writes, who reveals. Roles: see gridgov/registry/policy.py and docs/registry.md."""

import json

import pytest

from gridgov.common.models import AuditLog
from gridgov.registry.models import (
    House,
    Household,
    Organisation,
    Person,
    PersonTag,
    Unit,
)
from gridgov.registry.tests.conftest import new_id

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "people": ("GET", "/api/v1/registry/people"),
    "search people": ("POST", "/api/v1/registry/people/search"),
    "create person": ("POST", "/api/v1/registry/people"),
    "person": ("GET", "/api/v1/registry/people/{person_id}"),
    "change person": ("PATCH", "/api/v1/registry/people/{person_id}"),
    "reveal": ("POST", "/api/v1/registry/people/{person_id}/reveal"),
    "tag person": ("POST", "/api/v1/registry/people/{person_id}/tags"),
    "untag person": ("DELETE", "/api/v1/registry/people/{person_id}/tags/{tag}"),
    "tags": ("GET", "/api/v1/registry/tags"),
    "houses": ("GET", "/api/v1/registry/houses"),
    "create house": ("POST", "/api/v1/registry/houses"),
    "house": ("GET", "/api/v1/registry/houses/{house_id}"),
    "change house": ("PATCH", "/api/v1/registry/houses/{house_id}"),
    "households": ("GET", "/api/v1/registry/households"),
    "create household": ("POST", "/api/v1/registry/households"),
    "household": ("GET", "/api/v1/registry/households/{household_id}"),
    "change household": ("PATCH", "/api/v1/registry/households/{household_id}"),
    "units": ("GET", "/api/v1/registry/units"),
    "create unit": ("POST", "/api/v1/registry/units"),
    "unit": ("GET", "/api/v1/registry/units/{unit_id}"),
    "change unit": ("PATCH", "/api/v1/registry/units/{unit_id}"),
    "organisations": ("GET", "/api/v1/registry/organisations"),
    "create organisation": ("POST", "/api/v1/registry/organisations"),
    "organisation": ("GET", "/api/v1/registry/organisations/{organisation_id}"),
    "change organisation": ("PATCH", "/api/v1/registry/organisations/{organisation_id}"),
    "coverage": ("GET", "/api/v1/registry/coverage"),
    "below target": ("GET", "/api/v1/registry/coverage/below-target"),
}
try:  # the Excel import/export endpoints keep their matrix beside their own tests
    from gridgov.registry.tests.test_excel_permissions import (
        OPERATIONS as _EXCEL_OPERATIONS,
    )
except ImportError:
    _EXCEL_OPERATIONS = {}
else:
    OPERATIONS = {**OPERATIONS, **_EXCEL_OPERATIONS}
MINE = [name for name in OPERATIONS if name not in _EXCEL_OPERATIONS]

PERSONAS = ["worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "leader",
            "police", "hotline", "sysadmin", "secadmin", "auditadmin"]
READERS = {"worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "leader"}
SEES_GRID_A = {"worker_a", "gridleader", "community", "street_dispatcher", "dispatcher", "leader"}
WRITERS = {"worker_a", "worker_b", "gridleader", "community"}
REVEALERS = {"worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher"}


@pytest.fixture
def objs(grid_a, person_a):
    return {"grid": grid_a, "person": person_a, "house": House.objects.filter(grid=grid_a).first(),
            "household": Household.objects.filter(grid=grid_a).first(),
            "unit": Unit.objects.filter(grid=grid_a).first(),
            "organisation": Organisation.objects.filter(grid=grid_a).first()
            or Organisation.objects.filter(grid__path__startswith=grid_a.path).first(),
            "tag": person_a.person_tags.select_related("tag").first().tag.code}


def _request(operation, o):
    grid = o["grid"].code
    person, house, household = o["person"].pk, o["house"].pk, o["household"].pk
    unit = o["unit"].pk
    org = o["organisation"].pk if o["organisation"] else 0
    return {
        "people": ("get", "/api/v1/registry/people", None),
        "search people": ("post", "/api/v1/registry/people/search", {"q": o["person"].id_number}),
        "create person": ("post", "/api/v1/registry/people", {"name": "矩阵测试", "id_number": new_id(),
                                                              "grid_code": grid}),
        "person": ("get", f"/api/v1/registry/people/{person}", None),
        "change person": ("patch", f"/api/v1/registry/people/{person}", {"workplace": "矩阵测试单位"}),
        "reveal": ("post", f"/api/v1/registry/people/{person}/reveal", {"field": "phone", "reason": "核实身份信息"}),
        "tag person": ("post", f"/api/v1/registry/people/{person}/tags", {"tag": "C01"}),
        "untag person": ("delete", f"/api/v1/registry/people/{person}/tags/{o['tag']}", None),
        "tags": ("get", "/api/v1/registry/tags", None),
        "houses": ("get", "/api/v1/registry/houses", None),
        "create house": ("post", "/api/v1/registry/houses", {"address": "矩阵路1号", "room": "101", "grid_code": grid}),
        "house": ("get", f"/api/v1/registry/houses/{house}", None),
        "change house": ("patch", f"/api/v1/registry/houses/{house}", {"rental": "whole"}),
        "households": ("get", "/api/v1/registry/households", None),
        "create household": ("post", "/api/v1/registry/households", {"number": "HMATRIX1", "grid_code": grid}),
        "household": ("get", f"/api/v1/registry/households/{household}", None),
        "change household": ("patch", f"/api/v1/registry/households/{household}", {"head_name": "矩阵"}),
        "units": ("get", "/api/v1/registry/units", None),
        "create unit": ("post", "/api/v1/registry/units", {"name": "矩阵商店", "kind": "shop", "grid_code": grid}),
        "unit": ("get", f"/api/v1/registry/units/{unit}", None),
        "change unit": ("patch", f"/api/v1/registry/units/{unit}", {"employees": 7}),
        "organisations": ("get", "/api/v1/registry/organisations", None),
        "create organisation": ("post", "/api/v1/registry/organisations", {"name": "矩阵志愿队", "grid_code": grid}),
        "organisation": ("get", f"/api/v1/registry/organisations/{org}", None),
        "change organisation": ("patch", f"/api/v1/registry/organisations/{org}", {"members": 9}),
        "coverage": ("get", "/api/v1/registry/coverage", None),
        "below target": ("get", "/api/v1/registry/coverage/below-target", None),
    }[operation]


def send(client, request):
    method, url, payload = request
    if payload is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


def snapshot():
    return (Person.objects.count(), House.objects.count(), Household.objects.count(), Unit.objects.count(),
            Organisation.objects.count(), PersonTag.objects.count(),
            AuditLog.objects.filter(action__startswith="registry.").exclude(outcome="denied").count())


READS = [n for n in MINE if OPERATIONS[n][0] == "GET"]
LISTS = ["people", "search people", "tags", "houses", "households", "units", "organisations", "coverage", "below target"]
DETAILS = ["person", "house", "household", "unit", "organisation"]
CREATES = ["create person", "create house", "create household", "create unit", "create organisation"]
CHANGES = ["change person", "change house", "change household", "change unit", "change organisation",
           "tag person", "untag person"]


def test_every_operation_has_a_request(objs):
    assert set(MINE) == set(LISTS + DETAILS + CREATES + CHANGES + ["reveal"])
    for name in MINE:
        method, url, _payload = _request(name, objs)
        assert method.upper() == OPERATIONS[name][0]


@pytest.mark.parametrize("operation", MINE)
def test_anonymous_gets_401_and_nothing_changes(as_user, objs, operation):
    before = snapshot()
    response = send(as_user("anonymous"), _request(operation, objs))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", LISTS)
def test_who_reads_the_lists(as_user, objs, persona, operation):
    response = send(as_user(persona), _request(operation, objs))
    if persona in READERS:
        assert response.status_code == 200, response.content
        assert "no-store" in response["Cache-Control"]
    else:
        assert response.status_code == 403 and response.json()["code"] == "forbidden"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", DETAILS)
def test_who_sees_a_record_in_grid_a(as_user, objs, persona, operation):
    client = as_user(persona)
    response = send(client, _request(operation, objs))
    if persona in SEES_GRID_A:
        assert response.status_code == 200, response.content
        listed = client.get(f"/api/v1/registry/{'people' if operation == 'person' else operation + 's'}"
                            f"?grid={objs['grid'].code}&page_size=100").json()
        assert response.json()["id"] in [i["id"] for i in listed["items"]]
    elif persona in READERS:
        assert response.status_code == 404  # out of their area: existence is not disclosed
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", CREATES)
def test_who_records_in_grid_a(as_user, objs, persona, operation):
    before = snapshot()
    response = send(as_user(persona), _request(operation, objs))
    if persona in WRITERS and persona in SEES_GRID_A:
        assert response.status_code == 201, response.content
        assert snapshot() != before
        return
    if persona in WRITERS:  # worker_b: grid A is not theirs
        assert response.status_code == 422 and response.json()["field"] == "grid_code"
    else:
        assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", CHANGES)
def test_who_changes_records_in_grid_a(as_user, objs, persona, operation):
    before = snapshot()
    response = send(as_user(persona), _request(operation, objs))
    if persona in WRITERS and persona in SEES_GRID_A:
        assert response.status_code in (200, 201), response.content
        assert snapshot() != before
        return
    assert response.status_code == (404 if persona in WRITERS else 403)
    assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_reveal(as_user, objs, persona):
    before = AuditLog.objects.filter(action="registry.person.reveal", outcome="success").count()
    response = send(as_user(persona), _request("reveal", objs))
    after = AuditLog.objects.filter(action="registry.person.reveal", outcome="success").count()
    if persona in REVEALERS and persona in SEES_GRID_A:
        assert response.status_code == 200 and response.json()["value"] == objs["person"].phone
        assert after == before + 1
        assert "no-store" in response["Cache-Control"]
    else:
        assert response.status_code == (404 if persona in REVEALERS else 403)
        assert after == before
