"""Recording visits (idempotent, target in scope, photos) and the overdue-visit list computed by hand."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.models import AuditLog
from gridgov.registry.choices import TagGroup
from gridgov.visits import selectors
from gridgov.visits.models import Visit, VisitPhoto
from gridgov.visits.services import visit_record
from gridgov.visits.tests import factories as f
from gridgov.visits.tests.conftest import jpeg

pytestmark = pytest.mark.django_db


def _post(client, data, files=None, **headers):
    body = dict(data)
    if files:
        body["photos"] = files
    return client.post("/api/v1/visits", data=body, **headers)


def _photo(color=(40, 120, 200)):
    return SimpleUploadedFile("v.jpg", jpeg(color), "image/jpeg")


# --- recording ------------------------------------------------------------------------------------------------------
def test_a_worker_records_a_visit_with_a_photo_and_it_is_audited(as_user, grid_a):
    person = f.person(grid_a, "王五")
    client = as_user("worker_a")
    response = _post(client, {"person": person.pk, "purpose": "care", "findings": "身体良好", "lon": 113.85,
                              "lat": 22.67, "client_key": "v-1"}, [_photo()])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["target"] == {"kind": "person", "id": person.pk, "name": "王五"}
    assert body["grid"]["id"] == grid_a.pk and body["purpose"] == "care" and len(body["photos"]) == 1
    visit = Visit.objects.get(pk=body["id"])
    assert visit.region_path == grid_a.path and visit.worker.username == "worker_a"
    assert AuditLog.objects.filter(action="visit.record", object_id=str(visit.pk)).exists()
    photo = client.get(body["photos"][0]["url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert photo["X-Content-Type-Options"] == "nosniff"
    assert as_user("worker_b").get(body["photos"][0]["url"]).status_code == 404  # another street


def test_the_same_client_key_returns_the_stored_visit_and_another_payload_is_refused(as_user, grid_a):
    person = f.person(grid_a)
    client = as_user("worker_a")
    data = {"person": person.pk, "findings": "情况正常", "visited_at": "2026-01-05T10:00:00+08:00",
            "client_key": "field-app-42"}
    first = _post(client, data, [_photo()])
    again = _post(client, data, [_photo()])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Visit.objects.filter(worker__username="worker_a", client_key="field-app-42").count() == 1
    assert VisitPhoto.objects.filter(visit_id=first.json()["id"]).count() == 1
    changed = _post(client, {**data, "findings": "另一次走访"})
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_mismatch"
    assert Visit.objects.filter(person=person).count() == 1
    # The key is per worker: the grid leader may use the same key for a visit of their own.
    other = _post(as_user("gridleader"), data)
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_the_idempotency_key_header_works_like_client_key(as_user, grid_a):
    household = f.household(grid_a)
    client = as_user("worker_a")
    one = _post(client, {"household": household.pk}, HTTP_IDEMPOTENCY_KEY="hdr-1")
    two = _post(client, {"household": household.pk}, HTTP_IDEMPOTENCY_KEY="hdr-1")
    assert (one.status_code, two.status_code) == (201, 200) and one.json()["id"] == two.json()["id"]
    assert Visit.objects.filter(household=household).count() == 1


def test_a_target_outside_the_workers_grids_is_not_found_and_nothing_is_written(as_user, grid_a, grid_b):
    outside = f.person(grid_b, "外街道居民")
    before = Visit.objects.count()
    response = _post(as_user("worker_a"), {"person": outside.pk})
    assert response.status_code == 404 and response.json()["field"] == "person"
    assert Visit.objects.count() == before


@pytest.mark.parametrize("data, field", [
    ({}, "target"),
    ({"two": True}, "target"),
    ({"visited_at": "2099-01-01T10:00:00+08:00"}, "visited_at"),
    ({"lon": 113.8}, "lon"),
    ({"purpose": "party"}, "purpose"),
])
def test_bad_visits_are_refused_with_the_field(as_user, grid_a, data, field):
    person, household = f.person(grid_a), f.household(grid_a)
    payload = {k: v for k, v in data.items() if k != "two"}
    if data and "two" not in data:
        payload["person"] = person.pk
    if "two" in data:
        payload.update(person=person.pk, household=household.pk)
    response = _post(as_user("worker_a"), payload)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Visit.objects.filter(person=person).exists()


def test_a_fake_photo_is_refused_and_nothing_is_written(as_user, grid_a):
    person = f.person(grid_a)
    fake = SimpleUploadedFile("x.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/jpeg")
    response = _post(as_user("worker_a"), {"person": person.pk}, [fake])
    assert response.status_code == 422 and response.json()["field"] == "photo"
    assert not Visit.objects.filter(person=person).exists()


def test_visits_for_lists_a_targets_log_newest_first(user, grid_a):
    household = f.household(grid_a)
    worker = user("worker_a")
    old, _ = visit_record(actor=worker, household=household.pk, visited_at=timezone.now() - dt.timedelta(days=3))
    new, _ = visit_record(actor=worker, household=household.pk)
    f.household(grid_a)  # another household's visits are not in this log
    assert list(selectors.visits_for(household)) == [new, old]
    assert list(selectors.visits_for(household, user("worker_b"))) == []


# --- required frequencies and the overdue list ------------------------------------------------------------------------
def _visit(worker, days_ago: int, **target):
    at = timezone.now() - dt.timedelta(days=days_ago)
    return visit_record(actor=worker, visited_at=at, **target)[0]


def _by_name(dues):
    return {d.name: d for d in dues}


def test_overdue_list_by_hand(user, grid_a, settings):
    """A key person every 30 days, a household every 90 days, the boundary day, never visited, untagged people."""
    settings.GRIDGOV_HOUSEHOLD_VISIT_DAYS = 90
    worker, leader = user("worker_a"), user("leader")
    key30 = f.tag("TK30", group=TagGroup.KEY, every=30)
    care14 = f.tag("TC14", group=TagGroup.CARE, every=14)
    none0 = f.tag("TN0", group=TagGroup.OTHER, every=0)
    on_time = f.person(grid_a, "甲-30天前", tags=[key30])
    late = f.person(grid_a, "乙-31天前", tags=[key30])
    care = f.person(grid_a, "丙-关爱", tags=[key30, care14])  # the smallest period wins: 14 days
    f.person(grid_a, "丁-从未走访", tags=[key30])
    f.person(grid_a, "戊-无标签", tags=[none0])  # no period: never listed
    gone = f.person(grid_a, "己-已迁出", tags=[key30])
    gone.is_active = False
    gone.save()
    h_ok = f.household(grid_a, "HHOK", "户主甲")
    h_late = f.household(grid_a, "HHLATE", "户主乙")
    f.household(grid_a, "HHNEVER", "户主丙")
    _visit(worker, 30, person=on_time.pk)
    _visit(worker, 45, person=late.pk)
    _visit(user("gridleader"), 31, person=late.pk)  # the last visit counts, whoever made it
    _visit(worker, 15, person=care.pk)
    _visit(worker, 90, household=h_ok.pk)
    _visit(worker, 91, household=h_late.pk)

    dues = _by_name(selectors.overdue_for_worker(viewer=worker, worker=worker))
    mine = {n: d for n, d in dues.items() if n in {"甲-30天前", "乙-31天前", "丙-关爱", "丁-从未走访", "戊-无标签",
                                                  "己-已迁出", "HHOK 户主甲", "HHLATE 户主乙", "HHNEVER 户主丙"}}
    assert set(mine) == {"乙-31天前", "丙-关爱", "丁-从未走访", "HHLATE 户主乙", "HHNEVER 户主丙"}
    assert (mine["乙-31天前"].days_overdue, mine["乙-31天前"].every_days) == (1, 30)
    assert mine["乙-31天前"].reason == _("key person visit") and mine["乙-31天前"].key_person
    assert (mine["丙-关爱"].days_overdue, mine["丙-关爱"].every_days, mine["丙-关爱"].reason) == (1, 14, _("care visit"))
    assert mine["丁-从未走访"].never_visited and mine["丁-从未走访"].days_overdue == 0
    assert (mine["HHLATE 户主乙"].days_overdue, mine["HHLATE 户主乙"].every_days) == (1, 90)
    assert mine["HHNEVER 户主丙"].never_visited and mine["HHNEVER 户主丙"].reason == _("household visit")

    # A leader may oversee the list but not see who is a key person.
    hidden = _by_name(selectors.overdue_for_worker(viewer=leader, worker=worker))
    assert hidden["乙-31天前"].reason == _("regular visit") and not hidden["乙-31天前"].key_person
    assert hidden["丙-关爱"].reason == _("care visit")

    # Tomorrow the person visited exactly 30 days ago is one day late; the household seen 90 days ago too.
    tomorrow = _by_name(selectors.overdue_for_worker(viewer=worker, worker=worker,
                                                     today=timezone.localdate() + dt.timedelta(days=1)))
    assert tomorrow["甲-30天前"].days_overdue == 1 and tomorrow["HHOK 户主甲"].days_overdue == 1
    assert tomorrow["乙-31天前"].days_overdue == 2


def test_the_household_period_is_a_setting(user, grid_a, settings):
    worker = user("worker_a")
    household = f.household(grid_a, "HHSET", "户主")
    _visit(worker, 40, household=household.pk)
    settings.GRIDGOV_HOUSEHOLD_VISIT_DAYS = 90
    assert "HHSET 户主" not in _by_name(selectors.overdue_for_worker(viewer=worker, worker=worker))
    settings.GRIDGOV_HOUSEHOLD_VISIT_DAYS = 30
    assert _by_name(selectors.overdue_for_worker(viewer=worker, worker=worker))["HHSET 户主"].days_overdue == 10


def test_the_overdue_list_takes_the_same_number_of_queries_for_many_targets(user, grid_a):
    worker = user("worker_a")
    key30 = f.tag("TK30", every=30)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            selectors.overdue_for_worker(viewer=worker, worker=worker)
        return len(ctx.captured_queries)

    f.person(grid_a, "一", tags=[key30])
    f.household(grid_a)
    few = count()
    for i in range(15):
        p = f.person(grid_a, f"人{i}", tags=[key30])
        h = f.household(grid_a)
        _visit(worker, 40 + i, person=p.pk)
        _visit(worker, 100 + i, household=h.pk)
    assert count() == few <= 5


def test_people_in_other_grids_are_not_on_the_workers_list(user, grid_a, grid_b):
    key30 = f.tag("TK30", every=30)
    f.person(grid_b, "别的网格的人", tags=[key30])
    worker = user("worker_a")
    assert "别的网格的人" not in _by_name(selectors.overdue_for_worker(viewer=worker, worker=worker))
    worker_b = user("worker_b")
    assert "别的网格的人" in _by_name(selectors.overdue_for_worker(viewer=worker_b, worker=worker_b))


def test_overseers_see_counts_per_worker_in_their_area(as_user, user, grid_a):
    key30 = f.tag("TK30", every=30)
    f.person(grid_a, "待走访", tags=[key30])
    worker_a = user("worker_a")
    expected = len(selectors.overdue_for_worker(viewer=worker_a, worker=worker_a))
    rows = {r["username"]: r for r in as_user("community").get("/api/v1/visits/overdue/workers").json()}
    assert rows["worker_a"]["overdue"] == expected >= 1 and "worker_b" not in rows
    listed = as_user("community").get(f"/api/v1/visits/overdue?worker={worker_a.pk}")
    assert listed.status_code == 200 and listed.json()["count"] == expected
    assert as_user("community").get(f"/api/v1/visits/overdue?worker={user('worker_b').pk}").status_code == 404
    assert as_user("worker_a").get(f"/api/v1/visits/overdue?worker={user('worker_b').pk}").status_code == 404


# --- pages ----------------------------------------------------------------------------------------------------------
def test_the_phone_form_records_once_even_when_sent_twice(as_user, grid_a):
    person = f.person(grid_a, "表单走访对象")
    client = as_user("worker_a")
    form = client.get(f"/visits/new/?person={person.pk}")
    assert form.status_code == 200 and "表单走访对象" in form.content.decode()
    data = {"target": f"person:{person.pk}", "purpose": "routine", "findings": "家中无人", "client_key": "form-1",
            "lon": "113.85", "lat": "22.67", "photos": [_photo()]}
    first = client.post("/visits/new/", data)
    data["photos"] = [_photo()]
    second = client.post("/visits/new/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == f"/visits/?person={person.pk}"
    assert Visit.objects.filter(person=person).count() == 1
    log = client.get(f"/visits/?person={person.pk}")
    assert log.status_code == 200 and "家中无人" in log.content.decode()
    assert "no-store" in log["Cache-Control"]


def test_the_form_shows_the_error_and_writes_nothing(as_user, grid_a):
    person = f.person(grid_a)
    response = as_user("worker_a").post("/visits/new/", {"target": f"person:{person.pk}",
                                                         "visited_at": "2099-01-01T10:00"})
    assert response.status_code == 422 and "error" in response.content.decode()
    assert not Visit.objects.filter(person=person).exists()


def test_the_target_search_finds_only_the_workers_area(as_user, grid_a, grid_b):
    f.person(grid_a, "搜索甲")
    f.person(grid_b, "搜索乙")
    html = as_user("worker_a").get("/visits/targets/?q=搜索").content.decode()
    assert "搜索甲" in html and "搜索乙" not in html


def test_the_overdue_page_for_a_worker_and_an_overseer(as_user, user, grid_a):
    key30 = f.tag("TK30", every=30)
    f.person(grid_a, "页面待走访", tags=[key30])
    mine = as_user("worker_a").get("/visits/overdue/")
    assert mine.status_code == 200 and "页面待走访" in mine.content.decode()
    assert "no-store" in mine["Cache-Control"]
    other = as_user("community").get(f"/visits/overdue/?worker={user('worker_a').pk}")
    assert other.status_code == 200 and "页面待走访" in other.content.decode()
    assert as_user("worker_b").get(f"/visits/overdue/?worker={user('worker_a').pk}").status_code == 404
    assert as_user("police").get("/visits/overdue/").status_code == 404


def test_the_log_of_a_target_outside_the_area_is_not_found(as_user, grid_b):
    outside = f.household(grid_b)
    assert as_user("worker_a").get(f"/visits/?household={outside.pk}").status_code == 404
