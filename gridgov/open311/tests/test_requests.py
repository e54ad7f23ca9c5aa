"""Filing a service request, reading requests back, tokens, the status mapping and every refusal, in XML and JSON."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.events.choices import Channel
from gridgov.events.models import Category, Event, Photo
from gridgov.events.services import Report, event_report, event_transition
from gridgov.open311 import views
from gridgov.open311.models import Open311Client
from gridgov.open311.tests.conftest import (
    EMAIL,
    FORMATS,
    PHONE,
    errors,
    parse,
    post_request,
    rows,
)

pytestmark = pytest.mark.django_db
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "lat", "long", "media_url"]


def requests_of(response, fmt) -> list[dict]:
    assert response.status_code == 200, response.content
    body = parse(response, fmt)
    if fmt == "json":
        assert isinstance(body, list)
        return body
    assert body.tag == "service_requests"
    return rows(body, "request")


def create(api, fmt, key, point, **fields) -> str:
    response = post_request(api, fmt, key=key, point=point, **fields)
    assert response.status_code == 201, response.content
    body = parse(response, fmt)
    return body[0]["service_request_id"] if fmt == "json" else body.find("request").findtext("service_request_id")


def w3(value: dt.datetime) -> str:
    return timezone.localtime(value).replace(microsecond=0).isoformat()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_posted_request_is_taken_in_dispatched_and_then_listed(api, api_key, point, fmt):
    response = post_request(api, fmt, key=api_key, point=point, address_string="桃源街道 平山一路 12 号")
    assert response.status_code == 201, response.content
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "service_requests"
        [request] = body.findall("request")
        assert [child.tag for child in request] == ["service_request_id", "service_notice", "account_id"]
        number, notice = request.findtext("service_request_id"), request.findtext("service_notice")
        assert request.find("account_id").text is None
    else:
        [created] = body
        assert set(created) == {"service_request_id", "service_notice", "account_id"}
        number, notice = created["service_request_id"], created["service_notice"]
        assert created["account_id"] is None
    event = Event.objects.select_related("lead_department").get(number=number)
    assert number.startswith("SJ")
    assert event.channel == Channel.OPEN311 and event.reporter_id is None
    assert event.status == "dispatched" and event.auto_dispatched and event.lead_department is not None
    assert event.address == "桃源街道 平山一路 12 号"
    assert event.transitions.first().actor_name == "system"
    assert "处理时限：1 个工作日" in notice and "垃圾清运干净，无积存" in notice

    listed = requests_of(api.get(f"/open311/v2/requests.{fmt}"), fmt)
    assert listed[0]["service_request_id"] == number  # newest first, before the demo's requests
    for one in (listed[0], requests_of(api.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)[0]):
        assert list(one) == REQUEST_FIELDS
        assert one["status"] == "open"
        assert one["agency_responsible"] == event.lead_department.name
        assert one["service_code"] == "0301" and one["service_name"] == "积存垃圾"
        assert one["description"] == "小区门口垃圾堆积，已有异味"
        assert one["requested_datetime"] == w3(event.reported_at)
        assert one["expected_datetime"] == w3(event.deadline)
        assert one["updated_datetime"] >= one["requested_datetime"]
        assert one["address"] == "桃源街道 平山一路 12 号"
        assert float(one["lat"]) == pytest.approx(point[0]) and float(one["long"]) == pytest.approx(point[1])
        assert one["media_url"] == ""
        assert one["service_notice"] == notice
        assert one["status_notes"] == str(event.get_status_display())

    tokens = api.get(f"/open311/v2/tokens/{number}.{fmt}")
    assert tokens.status_code == 200
    token_body = parse(tokens, fmt)
    if fmt == "xml":
        assert rows(token_body, "request") == [{"service_request_id": number, "token": number}]
    else:
        assert token_body == [{"service_request_id": number, "token": number}]


def test_the_client_is_recorded_in_the_audit_log(api, api_key, point):
    from gridgov.common.models import AuditLog

    number = create(api, "json", api_key, point)
    entry = AuditLog.objects.get(action="open311.request", object_id=str(Event.objects.get(number=number).pk))
    assert entry.detail["client"] == "测试客户端" and entry.detail["number"] == number
    assert entry.object_id == str(Event.objects.get(number=number).pk)


def test_the_reporter_is_kept_private(api, api_key, point):
    number = create(api, "json", api_key, point, first_name="三", last_name="张", phone=PHONE, email=EMAIL,
                    device_id="device-42", account_id="acct-7",
                    description="楼下垃圾堆了三天，我的电话 13800138000，邮箱 li.si@example.com")
    event = Event.objects.get(number=number)
    assert event.reporter_name == "张三" and event.reporter_phone == PHONE  # kept for the call-back…
    latin = create(api, "json", api_key, (point[0] + 0.001, point[1]), service_code="0302", first_name="John",
                   last_name="Smith")
    assert Event.objects.get(number=latin).reporter_name == "John Smith"
    outputs = []
    for fmt in FORMATS:
        for path in ("requests", f"requests/{number}", f"tokens/{number}"):
            response = api.get(f"/open311/v2/{path}.{fmt}")
            assert response.status_code == 200
            outputs.append(response.content.decode())
    outputs.append(post_request(api, "xml", key=api_key, point=point, phone=PHONE, email=EMAIL,
                                first_name="三", last_name="张").content.decode())
    for text in outputs:  # …but never shown, not even when written into the description
        for secret in (PHONE, EMAIL, "张三", "John Smith", "13800138000", "li.si@example.com", "device-42",
                       "acct-7"):
            assert secret not in text
    described = requests_of(api.get(f"/open311/v2/requests/{number}.json"), "json")[0]["description"]
    assert described == "楼下垃圾堆了三天，我的电话 138****8000，邮箱 ***@***"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_case_closed_through_the_workflow_maps_to_closed(api, api_key, point, fmt):
    number = create(api, fmt, api_key, point)
    event = Event.objects.get(number=number)
    handler = User.objects.filter(department=event.lead_department, role="dept_handler").first()
    event_transition(actor=handler, event_id=event.pk, action="feedback", version=event.version,
                     data={"photo_count": 1})
    assert requests_of(api.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)[0]["status"] == "open"  # handled
    closed = event_transition(actor=User.objects.get(username="dispatcher"), event_id=event.pk, action="verify",
                              version=None)
    assert closed.status == "closed"
    [one] = requests_of(api.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)
    assert one["status"] == "closed"
    assert one["status_notes"] == str(closed.get_status_display())
    assert one["updated_datetime"] == w3(closed.transitions.last().at) or \
        one["updated_datetime"] == w3(closed.updated_at)
    rated = event_transition(actor=User.objects.get(username="dispatcher"), event_id=event.pk, action="rate",
                             version=None, data={"satisfaction": "satisfied"})
    assert rated.status == "rated"
    assert requests_of(api.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)[0]["status"] == "closed"


def test_a_cancelled_case_is_closed_with_the_reason_in_the_notes(api, api_key, point):
    number = create(api, "json", api_key, point)
    event = Event.objects.get(number=number)
    cancelled = event_transition(actor=User.objects.get(username="dispatcher"), event_id=event.pk,
                                 action="cancel", version=None, reason="已电话核实为误报，来电 13700001111")
    [one] = requests_of(api.get(f"/open311/v2/requests/{number}.json"), "json")
    assert one["status"] == "closed"
    assert one["status_notes"] == f"{cancelled.get_status_display()}：已电话核实为误报，来电 137****1111"


def test_a_duplicate_is_closed_and_points_at_the_first_report(api, api_key, point):
    first = create(api, "json", api_key, point)
    second = create(api, "json", api_key, point, description="同一处垃圾，再报一次")
    assert Event.objects.get(number=second).status == "rejected"
    [one] = requests_of(api.get(f"/open311/v2/requests/{second}.json"), "json")
    assert one["status"] == "closed" and first in one["status_notes"]
    assert one["agency_responsible"] == "" and one["expected_datetime"] is None
    xml = parse(api.get(f"/open311/v2/requests/{second}.xml"), "xml")
    assert xml.find("request/expected_datetime").text is None  # an empty element, not "None"


def test_media_url_is_the_first_report_photo(api, api_key, point):
    number = create(api, "json", api_key, point)
    event = Event.objects.get(number=number)
    for name, kind in (("2026/01/first.jpg", "report"), ("2026/01/second.jpg", "report")):
        Photo.objects.create(event=event, kind=kind, file=name, thumbnail=name.replace(".jpg", ".thumb.jpg"),
                             sha256="0" * 64)
    first = Photo.objects.get(file="2026/01/first.jpg")
    [one] = requests_of(api.get(f"/open311/v2/requests/{number}.json"), "json")
    assert one["media_url"] == f"http://testserver/open311/v2/media/{first.pk}.jpg"


def test_media_url_serves_only_public_report_photos(api, api_key, point, settings, tmp_path):
    from django.core.files.storage import default_storage

    from gridgov.events.choices import PhotoKind

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    number = create(api, "json", api_key, point)
    event = Event.objects.get(number=number)
    thumb = default_storage.save("t/report.thumb.jpg", ContentFile(b"\xff\xd8thumb"))
    report = Photo.objects.create(event=event, kind=PhotoKind.REPORT, file="t/report.jpg", thumbnail=thumb,
                                  sha256="0" * 64)
    verify = Photo.objects.create(event=event, kind=PhotoKind.VERIFY, file="t/v.jpg", thumbnail=thumb,
                                  sha256="1" * 64)
    served = api.get(f"/open311/v2/media/{report.pk}.jpg")
    assert served.status_code == 200 and b"".join(served.streaming_content) == b"\xff\xd8thumb"
    assert served["Content-Type"] == "image/jpeg" and served["X-Content-Type-Options"] == "nosniff"
    assert api.get(f"/open311/v2/media/{verify.pk}.jpg").status_code == 404  # taken while handling: not public
    hidden = Category.objects.filter(parent__code="05").first()  # 重点人员: never published
    Event.objects.filter(pk=event.pk).update(category=hidden)
    assert api.get(f"/open311/v2/media/{report.pk}.jpg").status_code == 404


def test_control_characters_in_a_description_do_not_break_the_xml(api, api_key, point):
    number = create(api, "json", api_key, point, description="垃圾\x0b堆积\x01严重")
    xml = parse(api.get(f"/open311/v2/requests/{number}.xml"), "xml")
    assert xml.findtext("request/description") == "垃圾堆积严重"
    assert api.get(f"/open311/v2/requests/{number}.json").json()[0]["description"] == "垃圾\x0b堆积\x01严重"


def test_a_media_url_sent_by_the_client_is_ignored(api, api_key, point):
    number = create(api, "json", api_key, point, media_url="http://example.com/p.jpg")
    assert not Event.objects.get(number=number).photos.exists()
    assert requests_of(api.get(f"/open311/v2/requests/{number}.json"), "json")[0]["media_url"] == ""


def test_same_idempotency_key_replays_and_another_body_is_refused(api, api_key, point):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-1"}
    before = Event.objects.count()
    first = post_request(api, "json", key=api_key, point=point, headers=headers)
    again = post_request(api, "xml", key=api_key, point=point, headers=headers)
    assert first.status_code == again.status_code == 201
    number = first.json()[0]["service_request_id"]
    assert parse(again, "xml").findtext("request/service_request_id") == number
    assert Event.objects.count() == before + 1
    other = post_request(api, "json", key=api_key, point=point, headers=headers, description="另一件事")
    assert other.status_code == 400
    assert errors(other, "json")[0][1].startswith("Idempotency-Key：")
    other_client = Open311Client.issue("另一客户端")[1]  # keys are per client
    assert post_request(api, "json", key=other_client, point=point, headers=headers,
                        description="另一客户端的同名键").status_code == 201
    assert Event.objects.count() == before + 2


def test_a_refused_request_does_not_use_up_its_idempotency_key(api, api_key, point):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-2"}
    assert post_request(api, "json", key=api_key, point=(20.0, 100.0), headers=headers).status_code == 400
    assert post_request(api, "json", key=api_key, point=point, headers=headers).status_code == 201


POST_ERRORS = [
    # (fields, status, the argument named in the description)
    ({"key": None}, 403, "api_key"),
    ({"key": "not-a-key"}, 403, "api_key"),
    ({"service_code": "9999"}, 404, "service_code"),
    ({"service_code": "0501"}, 404, "service_code"),  # a hidden class is not a service
    ({"service_code": "03"}, 404, "service_code"),  # a whole class is not a service
    ({"service_code": None}, 400, "service_code"),
    ({"point": None}, 400, "lat, long"),
    ({"point": None, "long": "114.0"}, 400, "lat"),
    ({"point": None, "lat": "22.6"}, 400, "long"),
    ({"point": None, "address_string": "平山一路 12 号"}, 400, "address_string"),
    ({"point": None, "address_id": "545483"}, 400, "address_id"),
    ({"point": (20.0, 100.0)}, 400, "long"),  # outside the district
    ({"point": ("north", 114.0)}, 400, "lat"),
    ({"point": ("nan", 114.0)}, 400, "lat"),
    ({"point": (22.6, 514.0)}, 400, "long"),
    ({"description": "  "}, 400, "description"),
    ({"description": "长" * 2001}, 400, "description"),
    ({"jurisdiction_id": "city.gov"}, 404, "jurisdiction_id"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fields,status,field", POST_ERRORS, ids=[f"{e[2]}-{e[1]}-{i}" for i, e in
                                                                    enumerate(POST_ERRORS)])
def test_refused_requests_answer_in_the_spec_format_and_change_nothing(api, api_key, point, fmt, fields, status,
                                                                        field):
    fields = dict(fields)
    key = fields.pop("key", api_key)
    where = fields.pop("point", point)
    before = Event.objects.count()
    response = post_request(api, fmt, key=key, point=where, **fields)
    assert response.status_code == status, response.content
    [(code, description)] = errors(response, fmt)
    assert code == status
    assert description.startswith(f"{field}：")
    assert Event.objects.count() == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_messages_are_chinese_and_explain_what_is_not_supported(api, api_key, fmt):
    missing = errors(post_request(api, fmt, key=None), fmt)[0][1]
    assert missing == "api_key：创建服务请求需要 api_key。"
    address = errors(post_request(api, fmt, key=api_key, address_string="平山一路 12 号"), fmt)[0][1]
    assert "lat" in address and "long" in address and "地址" in address
    address_id = errors(post_request(api, fmt, key=api_key, address_id="1"), fmt)[0][1]
    assert "不支持" in address_id


def test_a_revoked_client_cannot_file(api, api_key, point):
    Open311Client.objects.update(is_active=False)
    response = post_request(api, "json", key=api_key, point=point)
    assert response.status_code == 403 and "api_key" in errors(response, "json")[0][1]


def test_get_requests_need_no_key_and_post_needs_no_csrf_token(api, api_key, point):
    assert api.get("/open311/v2/requests.json").status_code == 200
    assert post_request(api, "json", key=api_key, point=point).status_code == 201  # enforce_csrf_checks client


def _hotline_case(category, lon, lat, description="热线转来的诉求"):
    return event_report(actor=None, report=Report(category_code=category, description=description, lon=lon,
                                                  lat=lat, channel=Channel.HOTLINE))


def test_cases_of_hidden_classes_are_never_published(api, point, settings):
    secret = _hotline_case("0501", point[1], point[0], "重点人员李某动态")
    visible = _hotline_case("0301", point[1] + 0.002, point[0])
    listed = api.get("/open311/v2/requests.json").json()
    assert visible.number in {r["service_request_id"] for r in listed}
    assert secret.number not in {r["service_request_id"] for r in listed}
    assert len(listed) > 50 and Event.objects.filter(category__code__startswith="04").count() > 1  # the demo's too
    assert not [r for r in listed if r["service_code"][:2] in ("04", "05")]  # none of a hidden class
    by_id = api.get("/open311/v2/requests.json", {"service_request_id": f"{secret.number},{visible.number}"})
    assert {r["service_request_id"] for r in by_id.json()} == {visible.number}
    for path in (f"requests/{secret.number}", f"tokens/{secret.number}"):
        assert api.get(f"/open311/v2/{path}.json").status_code == 404
    settings.GRIDGOV_OPEN311_HIDDEN_CLASSES = []
    assert api.get(f"/open311/v2/requests/{secret.number}.json").status_code == 200


def test_filters_status_service_code_ids_and_dates(without_demo_cases, api, api_key, point):
    garbage = create(api, "json", api_key, point)
    sewage = create(api, "json", api_key, (point[0] + 0.001, point[1]), service_code="0302",
                    description="河边有污水直排")
    event_transition(actor=User.objects.get(username="dispatcher"), event_id=Event.objects.get(number=sewage).pk,
                     action="cancel", version=None, reason="误报")

    def numbers(**params):
        response = api.get("/open311/v2/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert numbers() == [sewage, garbage]  # newest first
    assert numbers(status="open") == [garbage]
    assert numbers(status="closed") == [sewage]
    assert numbers(status="open,closed") == [sewage, garbage]
    assert numbers(service_code="0302") == [sewage]
    assert numbers(service_code="0301,0302") == [sewage, garbage]
    assert numbers(service_code="9999") == []
    # service_request_id overrides every other argument
    assert numbers(service_request_id=f"{garbage}, {sewage}", status="closed", service_code="9999") == [sewage,
                                                                                                       garbage]
    assert numbers(service_request_id="SJ0") == []
    now = timezone.now()
    assert numbers(start_date=(now - dt.timedelta(days=1)).isoformat()) == [sewage, garbage]
    assert numbers(start_date=(now + dt.timedelta(minutes=5)).isoformat()) == []
    assert numbers(end_date=(now - dt.timedelta(minutes=5)).isoformat()) == []
    assert numbers(start_date=(now - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   end_date=(now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")) == [sewage, garbage]
    # an offset's "+" sent unescaped arrives as a space and is still understood
    start = timezone.localtime(now - dt.timedelta(days=1)).replace(microsecond=0).isoformat()
    assert "+08:00" in start
    raw = api.get(f"/open311/v2/requests.json?start_date={start}")
    assert [r["service_request_id"] for r in raw.json()] == [sewage, garbage]


def test_the_default_range_is_the_last_90_days(without_demo_cases, api, api_key, point):
    old = create(api, "json", api_key, point)
    recent = create(api, "json", api_key, (point[0] + 0.001, point[1]), service_code="0302")
    long_ago = timezone.now() - dt.timedelta(days=100)
    Event.objects.filter(number=old).update(reported_at=long_ago)

    def numbers(**params):
        return [r["service_request_id"] for r in api.get("/open311/v2/requests.json", params).json()]

    assert numbers() == [recent]
    assert numbers(start_date=(long_ago - dt.timedelta(days=1)).isoformat()) == [old]  # start + 90 days
    assert numbers(end_date=(long_ago + dt.timedelta(days=1)).isoformat()) == [old]  # end - 90 days
    assert numbers(service_request_id=old) == [old]


def test_at_most_the_limit_is_returned(api, api_key, point, monkeypatch):
    create(api, "json", api_key, point)
    newest = create(api, "json", api_key, (point[0] + 0.001, point[1]), service_code="0302")
    monkeypatch.setattr(views, "MAX_REQUESTS", 1)
    assert [r["service_request_id"] for r in api.get("/open311/v2/requests.json").json()] == [newest]


GET_ERRORS = [
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-45T00:00:00Z"}, "end_date"),
    ({"status": "pending"}, "status"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2025-12-01T00:00:00Z"}, "end_date"),
    ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}, "end_date"),  # > 90 days
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("params,field", GET_ERRORS, ids=[f"{e[1]}-{i}" for i, e in enumerate(GET_ERRORS)])
def test_bad_filters_are_400_naming_the_argument(api, fmt, params, field):
    response = api.get(f"/open311/v2/requests.{fmt}", params)
    assert response.status_code == 400
    [(code, description)] = errors(response, fmt)
    assert code == 400 and description.startswith(f"{field}：")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path,field", [("requests/SJ2099010100000001", "service_request_id"),
                                        ("tokens/SJ2099010100000001", "token")])
def test_an_unknown_request_or_token_is_404(api, fmt, path, field):
    response = api.get(f"/open311/v2/{path}.{fmt}")
    assert response.status_code == 404
    [(code, description)] = errors(response, fmt)
    assert code == 404 and description.startswith(f"{field}：") and "SJ2099010100000001" in description
