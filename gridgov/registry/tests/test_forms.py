"""The registry's web forms are Django forms: each bad field gets its own message in Chinese next to it, nothing is
saved, a secret typed into the form comes back only when it is what is wrong, and the service's refusals land on the
field they name."""

import re

import pytest

from gridgov.registry.models import House, Person, Unit
from gridgov.registry.tests.conftest import new_id

pytestmark = pytest.mark.django_db


def _errors(response) -> dict[str, str]:
    """{field: message} of the page's field errors."""
    html = response.content.decode()
    return dict(re.findall(r'data-error-for="([^"]+)">([^<]*)<', html))


def _value(response, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.content.decode())
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group())
    return value.group(1) if value else None


def test_person_form_names_every_bad_field_in_chinese_and_saves_nothing(as_user, grid_a):
    client = as_user("worker_a")
    before = Person.objects.count()
    response = client.post("/registry/people/new/", {
        "name": "", "id_type": "resident_id", "id_number": "440306198506150010", "phone": "12345",
        "residence": "alien", "birth_date": "not a date", "lon": "east", "grid_code": grid_a.code})
    assert response.status_code == 422
    errors = _errors(response)
    assert set(errors) == {"name", "id_number", "phone", "residence", "birth_date", "lon"}
    assert errors["name"] == "此字段为必填项。"
    assert "校验位" in errors["id_number"]
    assert "手机号" in errors["phone"] or "电话" in errors["phone"]
    assert Person.objects.count() == before
    assert _value(response, "id_number") == "440306198506150010"  # wrong: shown again to be corrected
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_correct_secret_is_not_sent_back_when_another_field_is_wrong(as_user, grid_a):
    number = new_id()
    response = as_user("worker_a").post("/registry/people/new/", {
        "name": "", "id_type": "resident_id", "id_number": number, "phone": "13800001111",
        "residence": "registered", "grid_code": grid_a.code})
    assert response.status_code == 422 and set(_errors(response)) == {"name"}
    html = response.content.decode()
    assert number not in html and "13800001111" not in html


def test_person_form_records_and_edits(as_user, grid_a):
    client = as_user("worker_a")
    number = new_id()
    created = client.post("/registry/people/new/", {
        "name": "表单测试", "id_type": "resident_id", "id_number": number, "phone": "13800001111",
        "residence": "floating", "grid_code": grid_a.code, "tags": ["C01"]})
    assert created.status_code == 302, _errors(created)
    person = Person.objects.get(name="表单测试")
    assert person.grid_id == grid_a.pk and person.residence == "floating" and person.phone == "13800001111"
    assert [pt.tag.code for pt in person.person_tags.all()] == ["C01"]
    edit = client.get(f"/registry/people/{person.pk}/edit/")
    assert edit.status_code == 200 and _value(edit, "name") == "表单测试" and not _value(edit, "id_number")
    assert "13800001111" not in edit.content.decode()
    edited = client.post(f"/registry/people/{person.pk}/edit/", {  # empty number and phone: keep them
        "name": "表单测试改", "id_type": "resident_id", "id_number": "", "phone": "", "residence": "registered",
        "grid_code": ""})
    assert edited.status_code == 302, _errors(edited)
    person.refresh_from_db()
    assert person.name == "表单测试改" and person.id_number == number and person.phone == "13800001111"
    assert person.residence == "registered" and person.grid_id == grid_a.pk and not person.person_tags.exists()


def test_service_refusals_land_on_their_field(as_user, grid_a, grid_b):
    response = as_user("worker_a").post("/registry/people/new/", {  # a grid outside the worker's area
        "name": "越区", "id_type": "resident_id", "id_number": new_id(), "residence": "registered",
        "grid_code": grid_b.code})
    assert response.status_code == 422
    assert set(_errors(response)) == {"grid_code"}


def test_unit_form_checks_numbers_and_the_credit_code(as_user, grid_a):
    client = as_user("worker_a")
    before = Unit.objects.count()
    response = client.post("/registry/units/new/", {
        "name": "表单单位", "credit_code": "91440300MA5F00000X", "kind": "enterprise", "employees": str(10**30),
        "grid_code": grid_a.code})
    assert response.status_code == 422 and Unit.objects.count() == before
    errors = _errors(response)
    assert set(errors) == {"credit_code", "employees"}
    assert "10000000" in errors["employees"]
    ok = client.post("/registry/units/new/", {"name": "表单单位", "kind": "shop", "employees": "12",
                                              "is_key_site": "on", "grid_code": grid_a.code})
    assert ok.status_code == 302, _errors(ok)
    unit = Unit.objects.get(name="表单单位")
    assert unit.employees == 12 and unit.is_key_site and unit.kind == "shop"


def test_house_form_refuses_a_bad_area_and_keeps_the_owner_phone_on_edit(as_user, grid_a):
    client = as_user("worker_a")
    refused = client.post("/registry/houses/new/", {"address": "表单路1号", "use": "self", "rental": "none",
                                                    "area_m2": "-3", "grid_code": grid_a.code})
    assert refused.status_code == 422 and set(_errors(refused)) == {"area_m2"}
    created = client.post("/registry/houses/new/", {"address": "表单路1号", "use": "rented", "rental": "whole",
                                                    "area_m2": "88.5", "owner_phone": "13800002222",
                                                    "grid_code": grid_a.code})
    assert created.status_code == 302, _errors(created)
    house = House.objects.get(address="表单路1号")
    assert float(house.area_m2) == 88.5 and house.owner_phone == "13800002222"
    edited = client.post(f"/registry/houses/{house.pk}/edit/", {
        "address": "表单路1号", "use": "rented", "rental": "shared", "area_m2": "88.5", "owner_phone": ""})
    assert edited.status_code == 302, _errors(edited)
    house.refresh_from_db()
    assert house.rental == "shared" and house.owner_phone == "13800002222"


@pytest.mark.parametrize(("data", "word"), [
    ({"field": "name", "reason": "核实身份信息"}, "证件号码"),
    ({"field": "phone", "reason": "   看  "}, "4"),
    ({"field": "phone", "reason": "理由" * 101}, "200"),
])
def test_the_reveal_box_names_what_is_wrong_and_writes_no_audit_row(as_user, person_a, data, word):
    from gridgov.common.models import AuditLog

    before = AuditLog.objects.filter(action="registry.person.reveal").count()
    response = as_user("worker_a").post(f"/registry/people/{person_a.pk}/reveal/", data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 422 and word in html and person_a.phone not in html
    assert AuditLog.objects.filter(action="registry.person.reveal").count() == before


def test_a_refused_role_is_still_audited_from_the_page(as_user, person_a):
    from gridgov.common.models import AuditLog

    response = as_user("leader").post(f"/registry/people/{person_a.pk}/reveal/", {"field": "phone", "reason": ""},
                                      HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert AuditLog.objects.filter(action="registry.person.reveal").latest("id").outcome == "denied"


@pytest.mark.parametrize(("data", "word"), [
    ({"kind": "people", "mode": "valid_rows"}, ".xlsx"),
    ({"kind": "people", "mode": "sometimes", "file": "x"}, "全部"),
])
def test_the_upload_form_names_what_is_missing(as_user, data, word):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.registry.models import ImportJob

    if "file" in data:
        data["file"] = SimpleUploadedFile("a.xlsx", b"PK\x03\x04", "application/octet-stream")
    before = ImportJob.objects.count()
    response = as_user("worker_a").post("/registry/import/", data)
    assert response.status_code == 422 and word in response.content.decode()
    assert ImportJob.objects.count() == before


def test_an_overlong_search_is_named_not_a_crash(as_user):
    response = as_user("worker_a").post("/registry/?tab=people", {"q": "张" * 65})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
