"""Privacy: no clear identity number or phone in any registry API answer or page, for any persona; key-person tags
only for the roles that need them; reveals need the permission and a reason and are audited each time; no-store;
nothing personal in the logs."""

import json
import logging

import pytest

from gridgov.common.models import AuditLog
from gridgov.registry.models import House, Household, Organisation, Person, Unit
from gridgov.registry.tests.conftest import new_id

pytestmark = pytest.mark.django_db

READERS = ["worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "leader"]


@pytest.fixture
def secrets(db):
    """Every clear ID number and phone of the demo registry (known from the database, where they are encrypted)."""
    values = set()
    for number, phone in Person.objects.values_list("id_number", "phone"):
        values.add(number)
        if phone:
            values.add(phone)
    values |= {p for p in House.objects.values_list("owner_phone", flat=True) if p}
    values |= {p for p in Unit.objects.values_list("contact_phone", flat=True) if p}
    values |= {p for p in Organisation.objects.values_list("contact_phone", flat=True) if p}
    assert len(values) > 300
    return values


def leaks(text: str, secrets: set) -> list[str]:
    return [v for v in secrets if v in text]


def _all_pages(client, url):
    """Every item of a paginated list, and every raw answer on the way."""
    items, bodies, page = [], [], 1
    while True:
        response = client.get(url, {"page": page, "page_size": 100})
        assert response.status_code == 200, response.content
        assert "no-store" in response["Cache-Control"]
        bodies.append(response.content.decode())
        data = response.json()
        items += data["items"]
        if len(items) >= data["count"] or not data["items"]:
            return items, bodies
        page += 1


LISTS = {"people": "person", "houses": "house", "households": "household", "units": "unit",
         "organisations": "organisation"}


@pytest.mark.parametrize("persona", READERS)
def test_no_api_answer_holds_a_clear_number_or_phone(as_user, secrets, persona):
    client = as_user(persona)
    checked = 0
    for plural in LISTS:
        items, bodies = _all_pages(client, f"/api/v1/registry/{plural}")
        for body in bodies:
            assert not leaks(body, secrets), (plural, leaks(body, secrets)[:3])
        for item in items[:15]:  # and the detail of some of each
            response = client.get(f"/api/v1/registry/{plural}/{item['id']}")
            assert response.status_code == 200 and "no-store" in response["Cache-Control"]
            assert not leaks(response.content.decode(), secrets)
            checked += 1
    for url in ["/api/v1/registry/coverage", "/api/v1/registry/coverage/below-target", "/api/v1/registry/tags"]:
        response = client.get(url)
        assert response.status_code == 200 and not leaks(response.content.decode(), secrets)
    assert checked >= 5


def test_search_by_exact_number_or_phone_finds_the_person_and_answers_masked(as_user, person_a, secrets):
    client = as_user("worker_a")
    for query in (person_a.id_number, person_a.id_number.lower(), person_a.phone):
        response = client.post("/api/v1/registry/people/search", data=json.dumps({"q": query}),
                               content_type="application/json")
        assert [p["id"] for p in response.json()["items"]] == [person_a.pk]
        assert not leaks(response.content.decode(), secrets)
        assert client.get("/api/v1/registry/people", {"q": query}).status_code == 422  # never in a URL
    assert client.post("/api/v1/registry/people/search", data=json.dumps({"q": person_a.id_number[:-1]}),
                       content_type="application/json").json()["count"] == 0
    by_body = client.post("/api/v1/registry/people/search", data=json.dumps({"q": person_a.id_number}),
                          content_type="application/json")
    assert [p["id"] for p in by_body.json()["items"]] == [person_a.pk]
    assert not leaks(by_body.content.decode(), secrets) and "no-store" in by_body["Cache-Control"]
    outside = as_user("worker_b").post("/api/v1/registry/people/search", data=json.dumps({"q": person_a.id_number}),
                                       content_type="application/json")
    assert outside.json()["count"] == 0  # outside worker B's area: not found


def test_write_answers_are_masked_too(as_user, grid_a):
    number, phone = new_id(), "13600001111"
    client = as_user("worker_a")
    response = client.post("/api/v1/registry/people", data=json.dumps(
        {"name": "写入", "id_number": number, "phone": phone, "grid_code": grid_a.code}),
        content_type="application/json")
    assert response.status_code == 201
    text = response.content.decode()
    assert number not in text and phone not in text
    assert response.json()["id_number"] == number[:3] + "*" * 11 + number[-4:]
    assert response.json()["phone"] == "136****1111"
    patched = client.patch(f"/api/v1/registry/people/{response.json()['id']}", data=json.dumps({"phone": "13600002222"}),
                           content_type="application/json")
    assert patched.status_code == 200 and "13600002222" not in patched.content.decode()
    house = client.post("/api/v1/registry/houses", data=json.dumps(
        {"address": "写入路1号", "owner_phone": "13600003333", "grid_code": grid_a.code}),
        content_type="application/json")
    assert house.status_code == 201 and "13600003333" not in house.content.decode()


@pytest.mark.parametrize("persona", ["worker_a", "gridleader", "street_dispatcher", "leader"])
def test_no_page_holds_a_clear_number_or_phone(as_user, secrets, person_a, grid_a, persona):
    client = as_user(persona)
    house = House.objects.filter(grid=grid_a).first()
    urls = ["/registry/", "/registry/?tab=houses", "/registry/?tab=units", "/registry/?tab=organisations",
            f"/registry/people/{person_a.pk}/", f"/registry/houses/{house.pk}/",
            f"/registry/households/{person_a.household_id}/",
            f"/registry/units/{Unit.objects.filter(grid=grid_a).first().pk}/", f"/grids/{grid_a.code}/registry/",
            "/registry/coverage/"]
    org = Organisation.objects.filter(grid__path__startswith=grid_a.path).first()
    if org:
        urls.append(f"/registry/organisations/{org.pk}/")
    if persona in ("worker_a", "gridleader"):  # the edit forms never fill in the recorded number or phone
        urls += [f"/registry/people/{person_a.pk}/edit/", f"/registry/houses/{house.pk}/edit/", "/registry/people/new/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert not leaks(response.content.decode(), secrets), (url, leaks(response.content.decode(), secrets)[:3])
    for query in (person_a.id_number, person_a.phone):  # searched by POST: the number stays out of URLs
        response = client.post("/registry/?tab=people", {"q": query})
        found = response.content.decode()
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        assert not leaks(found, secrets), leaks(found, secrets)[:3]
        assert person_a.name in found and f"/registry/people/{person_a.pk}/" in found


# --- key-person tags --------------------------------------------------------------------------------------------------
def test_key_tags_are_shown_to_the_grid_team_and_command_centre_only(as_user, person_a):
    key = person_a.person_tags.get(tag__group="key").tag
    for persona in ("worker_a", "gridleader", "community", "street_dispatcher", "dispatcher"):
        client = as_user(persona)
        assert key.code in [t["code"] for t in client.get(f"/api/v1/registry/people/{person_a.pk}").json()["tags"]]
        listed = client.get("/api/v1/registry/people", {"tag": key.code, "page_size": 100}).json()["items"]
        assert person_a.pk in [p["id"] for p in listed]
    leader = as_user("leader")
    detail = leader.get(f"/api/v1/registry/people/{person_a.pk}")
    assert detail.status_code == 200 and all(t["group"] != "key" for t in detail.json()["tags"])
    assert key.name not in leader.get(f"/registry/people/{person_a.pk}/").content.decode()
    refused = leader.get("/api/v1/registry/people", {"tag": key.code})
    assert refused.status_code == 422 and refused.json()["field"] == "tag"
    assert key.code not in [t["code"] for t in leader.get("/api/v1/registry/tags").json()]
    assert "C01" in [t["code"] for t in leader.get("/api/v1/registry/tags").json()]
    grid_page = leader.get(f"/grids/{person_a.grid.code}/registry/").content.decode()
    assert key.name not in grid_page and "重点人员" not in grid_page


def test_leader_people_list_never_carries_key_tags(as_user):
    items, _bodies = _all_pages(as_user("leader"), "/api/v1/registry/people")
    assert items and all(t["group"] != "key" for p in items for t in p["tags"])
    assert any(t["group"] == "care" for p in items for t in p["tags"])


# --- reveal ------------------------------------------------------------------------------------------------------------
def test_reveal_needs_a_reason_and_writes_one_audit_row_each_time(as_user, person_a):
    client = as_user("worker_a")
    url = f"/api/v1/registry/people/{person_a.pk}/reveal"
    before = AuditLog.objects.filter(action="registry.person.reveal").count()
    short = client.post(url, data=json.dumps({"field": "id_number", "reason": "看"}), content_type="application/json")
    assert short.status_code == 422 and short.json()["field"] == "reason"
    wrong = client.post(url, data=json.dumps({"field": "name", "reason": "核实身份信息"}),
                        content_type="application/json")
    assert wrong.status_code == 422 and wrong.json()["field"] == "field"
    assert AuditLog.objects.filter(action="registry.person.reveal").count() == before
    for _ in range(2):  # never cached: each reveal is a new audit row
        response = client.post(url, data=json.dumps({"field": "id_number", "reason": "上门走访核实身份"}),
                                content_type="application/json", REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 200 and response.json()["value"] == person_a.id_number
        assert "no-store" in response["Cache-Control"]
    rows = AuditLog.objects.filter(action="registry.person.reveal", object_id=str(person_a.pk)).order_by("-id")[:2]
    assert len(rows) == 2
    for row in rows:
        assert row.actor_name == "worker_a" and row.outcome == "success" and row.ip == "10.1.2.3"
        assert row.detail == {"field": "id_number", "purpose": "other", "purpose_label": "其他",
                              "reason": "上门走访核实身份"}  # a reason without a purpose is 其他
        assert row.object_type == "registry.person"


def test_a_refused_reveal_is_audited_as_denied(as_user, person_a):
    response = as_user("leader").post(f"/api/v1/registry/people/{person_a.pk}/reveal",
                                      data=json.dumps({"field": "phone", "reason": "想看一下号码"}),
                                      content_type="application/json")
    assert response.status_code == 403 and person_a.phone not in response.content.decode()
    row = AuditLog.objects.filter(action="registry.person.reveal").latest("id")
    assert row.outcome == "denied" and row.actor_name == "leader" and "reason" not in row.detail


def test_reveal_on_the_page_uses_htmx_and_is_not_cached(as_user, person_a):
    client = as_user("worker_a")
    page = client.get(f"/registry/people/{person_a.pk}/").content.decode()
    assert f"/registry/people/{person_a.pk}/reveal/" in page and 'hx-post' in page
    refused = client.post(f"/registry/people/{person_a.pk}/reveal/", {"field": "phone", "reason": ""},
                          HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and person_a.phone not in refused.content.decode()
    shown = client.post(f"/registry/people/{person_a.pk}/reveal/", {"field": "phone", "reason": "电话联系走访"},
                        HTTP_HX_REQUEST="true")
    assert shown.status_code == 200 and person_a.phone in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert as_user("leader").get(f"/registry/people/{person_a.pk}/").content.decode().count("hx-post") == 0


def test_nothing_personal_in_the_logs(as_user, grid_a, caplog):
    caplog.set_level(logging.DEBUG)
    number, phone = new_id(), "13800009999"
    client = as_user("worker_a")
    bad = client.post("/api/v1/registry/people", data=json.dumps(
        {"name": "日志", "id_number": number[:-1] + ("0" if number[-1] != "0" else "1"), "phone": phone,
         "grid_code": grid_a.code}), content_type="application/json")
    assert bad.status_code == 422
    good = client.post("/api/v1/registry/people", data=json.dumps(
        {"name": "日志", "id_number": number, "phone": phone, "grid_code": grid_a.code}),
        content_type="application/json")
    assert good.status_code == 201
    client.post(f"/api/v1/registry/people/{good.json()['id']}/reveal",
                data=json.dumps({"field": "phone", "reason": "核实联系方式"}), content_type="application/json")
    assert number[:-1] not in caplog.text and phone not in caplog.text


def test_household_detail_lists_members_masked(as_user, person_a, secrets):
    response = as_user("worker_a").get(f"/api/v1/registry/households/{person_a.household_id}")
    assert person_a.pk in [m["id"] for m in response.json()["members"]]
    assert not leaks(response.content.decode(), secrets)
    assert Household.objects.get(pk=person_a.household_id).members.count() >= 1
