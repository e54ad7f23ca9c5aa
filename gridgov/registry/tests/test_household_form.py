"""The household form: record one in a grid, linked to a recorded house; errors name the field; edit keeps it one."""

import pytest

from gridgov.registry.models import House, Household

pytestmark = pytest.mark.django_db


def test_record_and_edit_a_household_through_the_page(as_user, grid_a):
    client = as_user("worker_a")
    house = House.objects.filter(grid__path__startswith=grid_a.path).first()
    assert client.get("/registry/households/new/").status_code == 200
    before = Household.objects.count()
    refused = client.post("/registry/households/new/", {"number": "", "grid_code": grid_a.code})
    assert refused.status_code == 422 and Household.objects.count() == before
    response = client.post("/registry/households/new/", {
        "number": "HTEST0001", "residence": "floating", "head_name": "王芳", "grid_code": grid_a.code,
        "house_address": house.address if house else "", "house_room": house.room if house else ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    household = Household.objects.get(number="HTEST0001")
    assert household.grid_id == grid_a.pk and household.residence == "floating"
    if house is not None:
        assert household.house_id == house.pk
    page = client.get(f"/registry/households/{household.pk}/")
    assert page.status_code == 200 and f"/registry/households/{household.pk}/edit/" in page.content.decode()
    edited = client.post(f"/registry/households/{household.pk}/edit/", {
        "number": "HTEST0001", "residence": "floating", "head_name": "王芳芳", "grid_code": grid_a.code})
    assert edited.status_code == 302
    household.refresh_from_db()
    assert household.head_name == "王芳芳" and Household.objects.filter(number="HTEST0001").count() == 1


def test_out_of_area_and_read_only_roles_cannot_use_the_form(as_user, grid_a):
    assert as_user("leader").get("/registry/households/new/").status_code in (403, 404)
    outsider = as_user("worker_b").post("/registry/households/new/", {"number": "HTEST0002",
                                                                       "grid_code": grid_a.code})
    assert outsider.status_code == 422 and not Household.objects.filter(number="HTEST0002").exists()
