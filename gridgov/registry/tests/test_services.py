"""Person, house and other registry services: GB 11643 validation at the service and API level, one person once,
placement by grid or position, audit rows without personal data."""

import datetime as dt
import json

import pytest
from django.utils import translation

from gridgov.common.errors import Conflict, ValidationFailed
from gridgov.common.models import AuditLog
from gridgov.registry import services
from gridgov.registry.models import House, Person, PersonTag
from gridgov.registry.tests.conftest import new_id

pytestmark = pytest.mark.django_db


def post(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def test_bad_check_digit_is_refused_with_the_field_and_nothing_is_written(as_user, grid_a, settings):
    settings.LANGUAGE_CODE = "en"  # the request's language (LocaleMiddleware), so the reason can be read below
    good = new_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    before = Person.objects.count()
    with translation.override("en"):
        response = post(as_user("worker_a"), "/api/v1/registry/people",
                        {"name": "错号", "id_number": bad, "grid_code": grid_a.code})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "id_number" and "check digit" in body["message"]
    assert Person.objects.count() == before


@pytest.mark.parametrize("number,fragment", [("1234", "18 characters"), ("990306198506150011", "province"),
                                             ("440306198513150011", "date of birth")])
def test_service_refuses_invalid_numbers(user, grid_a, number, fragment):
    with translation.override("en"), pytest.raises(ValidationFailed) as info:
        services.person_create(actor=user("worker_a"), data={"name": "某", "id_number": number,
                                                              "grid_code": grid_a.code})
    assert info.value.field == "id_number" and fragment in str(info.value.message)


def test_birth_date_and_gender_come_from_the_number(user, grid_a):
    number = new_id(born=dt.date(1972, 2, 29), male=False)
    saved = services.person_create(actor=user("worker_a"), data={
        "name": "林芳", "id_number": number, "grid_code": grid_a.code, "gender": "male", "birth_date": "2000-01-01"})
    person = Person.objects.get(pk=saved.obj.pk)
    assert saved.created and person.birth_date == dt.date(1972, 2, 29) and person.gender == "female"
    assert person.id_number == number  # decrypts to the clear value


def test_one_person_once_however_many_times_entered(as_user, grid_a):
    number = new_id()
    client = as_user("worker_a")
    first = post(client, "/api/v1/registry/people", {"name": "陈明", "id_number": number, "grid_code": grid_a.code})
    assert first.status_code == 201 and first.json()["created"] is True
    # The same number typed again: lower-case x, spaces, a new phone and workplace: the same row, updated.
    again = post(client, "/api/v1/registry/people", {"name": "陈明", "id_number": f" {number[:9]} {number[9:]} ".lower(),
                                                     "grid_code": grid_a.code, "phone": "13912345678",
                                                     "workplace": "宝安中心医院", "tags": ["C01"]})
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["id"] == first.json()["id"]
    assert Person.objects.filter(id_hash=Person.objects.get(pk=first.json()["id"]).id_hash).count() == 1
    person = Person.objects.get(pk=first.json()["id"])
    assert person.phone == "13912345678" and person.workplace == "宝安中心医院"
    assert list(person.person_tags.values_list("tag__code", flat=True)) == ["C01"]
    # A third entry with blanks does not erase what is known.
    post(client, "/api/v1/registry/people", {"name": "陈明", "id_number": number, "grid_code": grid_a.code})
    person.refresh_from_db()
    assert person.phone == "13912345678"


def test_someone_active_in_another_area_is_not_taken_over(user, grid_a, grid_b):
    number = new_id()
    services.person_create(actor=user("worker_b"), data={"name": "外格", "id_number": number,
                                                          "grid_code": grid_b.code})
    with pytest.raises(Conflict) as info:
        services.person_create(actor=user("worker_a"), data={"name": "外格", "id_number": number,
                                                              "grid_code": grid_a.code})
    assert info.value.field == "id_number"
    assert Person.objects.get(id_number__isnull=False, name="外格").grid == grid_b


def test_someone_who_moved_away_moves_in(user, grid_a, grid_b):
    number = new_id()
    saved = services.person_create(actor=user("worker_b"), data={"name": "迁入", "id_number": number,
                                                                  "grid_code": grid_b.code})
    services.person_update(actor=user("worker_b"), person_id=saved.obj.pk, data={"is_active": False})
    moved = services.person_create(actor=user("worker_a"), data={"name": "迁入", "id_number": number,
                                                                  "grid_code": grid_a.code})
    person = Person.objects.get(pk=saved.obj.pk)
    assert moved.obj.pk == person.pk and not moved.created
    assert person.grid == grid_a and person.is_active
    audit = AuditLog.objects.filter(action="registry.person.reenter", object_id=str(person.pk)).get()
    assert audit.detail["moved_from"] == grid_b.code


def test_grid_is_found_from_the_position_and_must_be_in_the_area(user, grid_a, grid_b):
    from gridgov.regions.index import geo_index

    lon, lat = grid_a.centroid_lon, grid_a.centroid_lat
    saved = services.house_create(actor=user("worker_a"), data={"address": "定位路8号", "lon": lon, "lat": lat})
    located = geo_index.locate_id(lon, lat)
    assert saved.obj.grid_id == located and saved.obj.grid.path.startswith(grid_a.path)
    with pytest.raises(ValidationFailed) as info:
        services.house_create(actor=user("worker_a"), data={"address": "越界路1号", "lon": grid_b.centroid_lon,
                                                             "lat": grid_b.centroid_lat})
    assert info.value.field == "lon"
    with pytest.raises(ValidationFailed) as info:
        services.house_create(actor=user("worker_a"), data={"address": "海上1号", "lon": 0.0, "lat": 0.0})
    assert info.value.field == "lon"


def test_one_house_once_by_normalised_address(user, grid_a):
    actor = user("worker_a")
    first = services.house_create(actor=actor, data={"address": "新安六路 18号", "room": "301",
                                                      "grid_code": grid_a.code})
    second = services.house_create(actor=actor, data={"address": "新安六路１８号", "room": "301",
                                                       "grid_code": grid_a.code, "rental": "whole"})
    assert first.created and not second.created and second.obj.pk == first.obj.pk
    assert House.objects.get(pk=first.obj.pk).rental == "whole"
    other_room = services.house_create(actor=actor, data={"address": "新安六路18号", "room": "302",
                                                           "grid_code": grid_a.code})
    assert other_room.created


def test_key_tags_are_refused_to_roles_that_may_not_see_them(user, person_a):
    # community staff may tag a key person; nobody may add an unknown tag
    services.person_tag_add(actor=user("community"), person_id=person_a.pk, tag_code="K04")
    assert PersonTag.objects.filter(person=person_a, tag__code="K04").exists()
    with pytest.raises(ValidationFailed):
        services.person_tag_add(actor=user("worker_a"), person_id=person_a.pk, tag_code="NOPE")


def test_update_with_tags_replaces_the_tag_set(user, person_a):
    key = set(person_a.person_tags.filter(tag__group="key").values_list("tag__code", flat=True))
    assert key
    services.person_update(actor=user("worker_a"), person_id=person_a.pk, data={"tags": ["C02"]})
    assert set(person_a.person_tags.values_list("tag__code", flat=True)) == {"C02"}


def test_update_to_a_number_someone_else_has_is_refused(user, grid_a):
    actor = user("worker_a")
    one = services.person_create(actor=actor, data={"name": "甲", "id_number": new_id(), "grid_code": grid_a.code})
    other_number = new_id()
    services.person_create(actor=actor, data={"name": "乙", "id_number": other_number, "grid_code": grid_a.code})
    with pytest.raises(Conflict):
        services.person_update(actor=actor, person_id=one.obj.pk, data={"id_number": other_number})


def test_audit_rows_name_fields_never_values(user, grid_a):
    number, phone = new_id(), "13755556666"
    actor = user("worker_a")
    saved = services.person_create(actor=actor, data={"name": "审计", "id_number": number, "phone": phone,
                                                       "grid_code": grid_a.code})
    services.person_update(actor=actor, person_id=saved.obj.pk, data={"phone": "13755557777"})
    rows = AuditLog.objects.filter(object_type="registry.person", object_id=str(saved.obj.pk))
    assert {r.action for r in rows} == {"registry.person.create", "registry.person.update"}
    text = json.dumps([r.detail for r in rows], ensure_ascii=False)
    assert number not in text and phone not in text and "13755557777" not in text
    assert "phone" in rows.get(action="registry.person.update").detail["fields"]


def test_unit_credit_code_is_checked_and_deduplicated(user, grid_a):
    from gridgov.registry.validation import credit_code_check

    first17 = "91440306MA5F00001"
    code = first17 + credit_code_check(first17)
    actor = user("worker_a")
    with pytest.raises(ValidationFailed) as info:
        services.unit_create(actor=actor, data={"name": "坏码", "credit_code": first17 + "0"
                                                if code[-1] != "0" else first17 + "1", "grid_code": grid_a.code})
    assert info.value.field == "credit_code"
    a = services.unit_create(actor=actor, data={"name": "好码公司", "credit_code": code, "grid_code": grid_a.code})
    b = services.unit_create(actor=actor, data={"name": "好码公司", "credit_code": code.lower(),
                                                 "grid_code": grid_a.code, "employees": 12})
    assert a.created and not b.created and b.obj.pk == a.obj.pk and b.obj.employees == 12


def test_validation_accepts_chinese_labels_and_excel_cells():
    from gridgov.registry.validation import clean_house, clean_person

    with translation.override("zh-hans"):
        values, errors = clean_house({"address": "路1号", "grid_code": "x", "area_m2": 80.0, "owner_phone": 13812345678.0})
    assert not errors and values["owner_phone"] == "13812345678"
    values, errors = clean_person({"name": "某", "id_number": new_id(), "phone": "12345", "grid_code": "x"})
    assert set(errors) == {"phone"}
