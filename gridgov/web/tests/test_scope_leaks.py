"""The four leaks a scoping review found, each shown as a user would meet it (these tests failed before the one
scoping engine): a colleague's patrol days on the registry grid page, key persons learnt from visits, the place of a
person registered elsewhere, and ID numbers / phones in search URLs."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from gridgov.registry.tests.conftest import new_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid_a(user):
    return user("worker_a").grids.get()


# --- 1. the registry grid page shows only the patrol days the viewer may see ----------------------------------------
def test_a_grid_worker_does_not_see_a_colleagues_patrol_days_on_the_grid_page(as_user, user, grid_a):
    from gridgov.fieldwork.models import PatrolDay

    colleague = user("gridleader")
    assert grid_a in colleague.grids.all(), "the demo's grid leader serves grid A too"
    day = timezone.localdate() - dt.timedelta(days=400)  # far from any demo day, so the row is the newest of nothing
    PatrolDay.objects.filter(worker__grids=grid_a).delete()
    PatrolDay.objects.create(worker=colleague, day=day, points=120, distance_m=4321, is_patrol_day=True)
    PatrolDay.objects.create(worker=user("worker_a"), day=day - dt.timedelta(days=1), points=80, distance_m=1000)

    mine = as_user("worker_a").get(f"/grids/{grid_a.code}/registry/")
    assert mine.status_code == 200
    page = mine.content.decode()
    assert colleague.display_name not in page.split("<h2>", 3)[-1]  # the patrol table comes last
    assert user("worker_a").display_name in page

    overseer = as_user("community").get(f"/grids/{grid_a.code}/registry/").content.decode()
    assert colleague.display_name in overseer and user("worker_a").display_name in overseer


# --- 2. a leader does not learn who is a key person from visits --------------------------------------------------------
def test_the_leader_does_not_learn_key_persons_from_visits(as_user, user, grid_a):
    from gridgov.registry.models import Person
    from gridgov.visits.models import Visit

    key_person = Person.objects.filter(grid=grid_a, is_active=True, person_tags__tag__group="key").first()
    plain = Person.objects.filter(grid=grid_a, is_active=True).exclude(person_tags__tag__group="key").first()
    worker = as_user("worker_a")
    follow_up = worker.post("/api/v1/visits", {"person": key_person.pk, "purpose": "key_person",
                                               "findings": "情绪稳定"})
    routine = worker.post("/api/v1/visits", {"person": key_person.pk, "purpose": "routine", "findings": "在家"})
    ordinary = worker.post("/api/v1/visits", {"person": plain.pk, "purpose": "routine", "findings": "在家"})
    assert {follow_up.status_code, routine.status_code, ordinary.status_code} == {201}
    hidden = {follow_up.json()["id"], routine.json()["id"]}

    leader = as_user("leader")
    listed = set()
    page = 1
    while True:
        body = leader.get(f"/api/v1/visits?page={page}").json()
        items = body["items"] if isinstance(body, dict) else body
        listed |= {v["id"] for v in items}
        if not isinstance(body, dict) or len(listed) >= body.get("count", 0) or not items:
            break
        page += 1
    assert ordinary.json()["id"] in listed
    assert not hidden & listed
    every = leader.get("/api/v1/visits?page_size=100").json()["items"]
    assert not [v for v in every if v["purpose"] == "key_person"
                or (v["target"]["kind"] == "person" and v["target"]["id"] == key_person.pk)]
    for visit_id in hidden:
        assert leader.get(f"/visits/{visit_id}/").status_code == 404
    # The people who follow key persons up still see every visit.
    assert hidden <= set(Visit.objects.restrict(user("worker_a")).values_list("pk", flat=True))
    assert hidden <= set(Visit.objects.restrict(user("dispatcher")).values_list("pk", flat=True))


# --- 3. registering someone recorded elsewhere does not say where ---------------------------------------------------
def test_registering_a_person_recorded_outside_the_writers_area_does_not_name_the_place(as_user, user, grid_a):
    from gridgov.registry.models import Person

    number = new_id()
    first = as_user("worker_a").post("/api/v1/registry/people", data=json.dumps(
        {"name": "赵某", "id_number": number, "grid_code": grid_a.code}), content_type="application/json")
    assert first.status_code == 201
    grid_b = user("worker_b").grids.get()
    again = as_user("worker_b").post("/api/v1/registry/people", data=json.dumps(
        {"name": "赵某", "id_number": number, "grid_code": grid_b.code}), content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "recorded_elsewhere"
    answer = json.dumps(again.json(), ensure_ascii=False)
    for name in (grid_a.name, grid_a.code, grid_a.parent.name):
        assert name not in answer
    assert Person.objects.get(pk=first.json()["id"]).grid_id == grid_a.pk  # nothing moved


# --- 4. ID numbers and phones never travel in a URL ----------------------------------------------------------------
def test_a_search_by_id_number_or_phone_is_refused_on_get_and_answered_on_post(as_user, grid_a):
    from gridgov.registry.models import Person

    number = new_id()
    client = as_user("worker_a")
    created = client.post("/api/v1/registry/people", data=json.dumps(
        {"name": "钱某", "id_number": number, "phone": "13912340000", "grid_code": grid_a.code}),
        content_type="application/json")
    assert created.status_code == 201
    for secret in (number, "13912340000"):
        refused = client.get(f"/api/v1/registry/people?q={secret}")
        assert refused.status_code == 422
        assert refused.json()["code"] == "secret_in_url" and refused.json()["field"] == "q"
        found = client.post("/api/v1/registry/people/search", data=json.dumps({"q": secret}),
                            content_type="application/json")
        assert found.status_code == 200 and [p["name"] for p in found.json()["items"]] == ["钱某"]
        page = client.get(f"/registry/?q={secret}").content.decode()
        assert "钱某" not in page and "POST" in page
        posted = client.post("/registry/?tab=people", {"q": secret}).content.decode()
        assert "钱某" in posted
    # A name still searches on GET.
    assert client.get("/api/v1/registry/people?q=钱某").status_code == 200
    assert Person.objects.filter(name="钱某").count() == 1
