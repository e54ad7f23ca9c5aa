"""Photos after the fix belong to a case solved on the spot (the reporter's before and after) and to the moves that
report or check a result; anywhere else the server refuses them, naming the field, and nothing is written."""

import pytest

from gridgov.events.models import Event, Photo
from gridgov.events.tests.conftest import point_in
from gridgov.events.tests.test_intake_and_workflow import act, handler_of, report, street_dept

pytestmark = pytest.mark.django_db


def test_after_photos_without_solving_on_the_spot_are_refused(as_user, upload, grid_a):
    worker = as_user("worker_a")
    lon, lat = point_in(grid_a)
    before = Event.objects.count()
    after = upload(worker, (0, 0, 250))
    refused = report(worker, lon=lon, lat=lat, photos=[upload(worker)], after_photos=[after])
    assert refused.status_code == 422, refused.content
    body = refused.json()
    assert body["field"] == "after_photos" and "自办自结" in body["message"]
    assert Event.objects.count() == before and Photo.objects.get(pk=after).event_id is None


def test_solved_on_the_spot_needs_one_photo_before_and_one_after(as_user, upload, grid_a):
    worker = as_user("worker_a")
    lon, lat = point_in(grid_a)
    two_before = report(worker, lon=lon, lat=lat, photos=[upload(worker), upload(worker, (1, 2, 3))],
                        self_resolved=True)
    assert two_before.status_code == 422 and two_before.json()["field"] == "after_photos"
    two_after = report(worker, lon=lon, lat=lat, after_photos=[upload(worker), upload(worker, (1, 2, 3))],
                       self_resolved=True)
    assert two_after.status_code == 422 and two_after.json()["field"] == "photos"


@pytest.fixture
def dispatched_case(as_user, upload, grid_a):
    worker = as_user("worker_a")
    lon, lat = point_in(grid_a)
    response = report(worker, lon=lon, lat=lat, photos=[upload(worker)])
    assert response.status_code == 201
    return Event.objects.get(pk=response.json()["id"])


def test_photos_with_a_move_that_takes_none_are_refused(as_user, upload, dispatched_case, grid_a):
    handler = handler_of(street_dept(grid_a, "sanitation"))
    client = as_user(handler.username)
    photo = upload(client)
    refused = act(client, dispatched_case.pk, "sign", photos=[photo])
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "photos"
    dispatched_case.refresh_from_db()
    assert dispatched_case.status == "dispatched"
    assert Photo.objects.get(pk=photo).event_id is None
    signed = act(client, dispatched_case.pk, "sign")
    assert signed.status_code == 200
    done = act(client, dispatched_case.pk, "feedback", reason="已清运", photos=[photo])
    assert done.status_code == 200, done.content
    assert Photo.objects.get(pk=photo).kind == "after"


def test_the_case_page_offers_photos_only_with_the_moves_that_take_them(as_user, dispatched_case, grid_a):
    dispatcher = as_user("street_dispatcher").get(f"/cases/{dispatched_case.pk}/").content.decode()
    assert 'data-action="supervise"' in dispatcher and 'name="photos"' not in dispatcher  # no move takes a photo
    handler = as_user(handler_of(street_dept(grid_a, "sanitation")).username)
    page = handler.get(f"/cases/{dispatched_case.pk}/").content.decode()
    assert 'name="photos"' in page and "照片（随以下操作提交：反馈处置结果）" in page
    assert 'data-photos="1" data-action="feedback"' in page
    assert 'data-photos="0" data-action="sign"' in page and 'data-photos="0" data-action="return"' in page
