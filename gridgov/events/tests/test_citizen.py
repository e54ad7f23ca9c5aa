"""Citizens report through a grid's QR code: anonymous allowed, contact private, rate-limited, and they rate."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from gridgov.events.models import Event
from gridgov.events.tests.conftest import jpeg

pytestmark = pytest.mark.django_db



def _post(client, grid, **fields):
    data = {"category": "E101", "description": "楼下垃圾桶满了没人清", **fields}
    return client.post(f"/q/{grid.code}/", data)


def test_anonymous_citizen_reports_and_follows_the_case(grid_a):
    client = Client()
    page = client.get(f"/q/{grid_a.code}/")
    assert page.status_code == 200 and grid_a.name in page.content.decode()
    assert "重点人员" not in page.content.decode()  # sensitive classes are not offered to citizens
    photo = SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg")
    response = _post(client, grid_a, phone="13812345678", name="张先生", photos=photo)
    assert response.status_code == 302 and "/q/track/" in response["Location"]
    event = Event.objects.latest("id")
    assert event.channel == "citizen" and event.reporter is None and event.status == "dispatched"
    assert event.region_path.startswith(grid_a.path)  # no position given: the scanned grid
    assert event.reporter_phone == "13812345678" and event.photos.count() == 1
    track = client.get(response["Location"]).content.decode()
    assert event.number in track and "13812345678" not in track and "张先生" not in track
    # Inside the handling chain the contact is there, masked.
    from conftest import login_client
    from gridgov.events.tests.test_intake_and_workflow import handler_of

    handler = login_client(handler_of(event.lead_department).username)
    detail = handler.get(f"/api/v1/events/{event.pk}").json()
    assert detail["reporter_phone"] == "138****5678"


def test_citizen_rates_once_the_case_is_closed(grid_a):
    from gridgov.accounts.models import User
    from gridgov.events.services import event_transition

    client = Client()
    location = _post(client, grid_a)["Location"]
    event = Event.objects.latest("id")
    assert "name=\"satisfaction\"" not in client.get(location).content.decode()  # not closed yet: no rating
    handler = User.objects.filter(department=event.lead_department, role="dept_handler").first()
    event_transition(actor=handler, event_id=event.pk, action="feedback", version=None, data={"photo_count": 1})
    event_transition(actor=User.objects.get(username="worker_a"), event_id=event.pk, action="verify", version=None)
    assert "name=\"satisfaction\"" in client.get(location).content.decode()
    rated = client.post(location, {"satisfaction": "basic", "comment": "清得还行"})
    assert rated.status_code == 200
    event.refresh_from_db()
    assert event.status == "rated" and event.satisfaction == "basic"
    assert event.transitions.last().actor_name == "citizen"
    again = client.post(location, {"satisfaction": "unsatisfied"})
    event.refresh_from_db()
    assert again.status_code == 200 and event.satisfaction == "basic"  # a second rating changes nothing


def test_bad_citizen_input_is_refused_in_chinese_and_changes_nothing(grid_a):
    client = Client()
    before = Event.objects.count()
    for fields, word in ((
            {"category": ""}, "问题"), ({"description": ""}, "描述"), ({"phone": "call me"}, "电话"),
            ({"category": "0501"}, "问题"),  # a key-person class is not for citizens
            ({"photos": SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image", "image/jpeg")}, "图片")):
        response = _post(client, grid_a, **fields)
        assert response.status_code == 422, fields
        assert word in response.content.decode(), (fields, response.content.decode()[:2000])
    assert Event.objects.count() == before


def test_reports_are_rate_limited_per_address(grid_a, settings):
    settings.GRIDGOV_CITIZEN_REPORTS_PER_HOUR = 3
    client = Client(REMOTE_ADDR="10.1.2.3")
    codes = [_post(client, grid_a, description=f"第{i}次").status_code for i in range(5)]
    assert codes == [302, 302, 302, 422, 422]
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert _post(other, grid_a).status_code == 302


def test_honeypot_and_unknown_codes(grid_a):
    client = Client()
    before = Event.objects.count()
    assert _post(client, grid_a, website="http://spam").status_code == 302
    assert Event.objects.count() == before
    assert client.get("/q/999999/").status_code == 404
    assert client.get("/q/track/not-a-token/").status_code == 404


def test_notice_board_page_has_a_qr_code_and_is_scoped(grid_a, as_user):
    page = as_user("worker_a").get(f"/regions/{grid_a.pk}/notice/")
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and f"/q/{grid_a.code}/" in body
    assert as_user("worker_b").get(f"/regions/{grid_a.pk}/notice/").status_code == 404


def test_too_many_or_too_large_photos_are_refused_before_reading(grid_a, settings):
    from gridgov.events import api

    client = Client()
    photos = [SimpleUploadedFile(f"{i}.jpg", jpeg(), "image/jpeg") for i in range(4)]
    assert _post(client, grid_a, photos=photos).status_code == 422
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (api.MAX_PHOTO_BYTES + 1), "image/jpeg")
    response = _post(client, grid_a, photos=big)
    assert response.status_code == 422 and "10" in response.content.decode()


def test_citizen_sees_what_was_done_before_rating(grid_a, as_user, upload):
    """Above the rating form: the department's report, its result photos and when it was verified — photos served
    through the private link only, and only those of the result."""
    from gridgov.accounts.models import User
    from gridgov.events.services import event_transition

    client = Client()
    location = _post(client, grid_a, photos=SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg"))["Location"]
    event = Event.objects.latest("id")
    handler = User.objects.filter(department=event.lead_department, role="dept_handler").first()
    desk = as_user(handler.username)
    event_transition(actor=handler, event_id=event.pk, action="sign", version=None)
    after = upload(desk, (40, 160, 60))
    moved = desk.post(f"/api/v1/events/{event.pk}/actions/feedback",
                      {"reason": "垃圾桶已清空并消毒", "photos": [after]}, content_type="application/json")
    assert moved.status_code == 200, moved.content
    handled = client.get(location).content.decode()
    assert 'id="result"' not in handled and "垃圾桶已清空并消毒" not in handled  # not verified yet
    event_transition(actor=User.objects.get(username="worker_a"), event_id=event.pk, action="verify", version=None)
    event.refresh_from_db()
    page = client.get(location).content.decode()
    assert "部门处置情况" in page and "垃圾桶已清空并消毒" in page
    assert timezone.localtime(event.closed_at).strftime("%Y-%m-%d %H:%M") in page.split('id="verified-at"')[1]
    assert page.index('id="result"') < page.index('id="rate-form"')  # what was done, then the rating
    token = event.citizen_token
    thumb = client.get(f"/q/track/{token}/photos/{after}/thumb/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert f"/q/track/{token}/photos/{after}/thumb/" in page
    report_photo = event.photos.get(kind="report")
    assert client.get(f"/q/track/{token}/photos/{report_photo.pk}/full/").status_code == 404  # not a result photo
    assert client.get(f"/q/track/not-the-token/photos/{after}/full/").status_code == 404
    other = _post(Client(REMOTE_ADDR="10.7.7.7"), grid_a, description="另一个案件")["Location"]
    other_token = other.rstrip("/").split("/")[-1]
    assert client.get(f"/q/track/{other_token}/photos/{after}/full/").status_code == 404  # another case's link
