"""Real failures answer with the body the OpenAPI document promises for their status: unknown ids, bad JSON, wrong
types, huge integers, a forbidden role, no session, a stale version, a failed CSRF check, an unknown address."""

import json

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import login_client
from gridgov.events.models import Event
from gridgov.tests.api_contract import check_body, openapi

pytestmark = pytest.mark.django_db

REPORT = {"category": "0401", "description": "错误格式测试", "lon": 113.9, "lat": 22.5}


def _send(persona, method, url, body=None, raw=None):
    client = login_client(persona)
    if raw is not None:
        return getattr(client, method)(url, raw, content_type="application/json")
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def case(db):
    from gridgov.accounts.models import User
    from gridgov.events.services import Report, event_report

    grid = User.objects.get(username="worker_a").grids.get()
    return event_report(actor=User.objects.get(username="street_dispatcher"), report=Report(
        category_code="0401", description="错误格式测试", lon=grid.centroid_lon, lat=grid.centroid_lat,
        channel="dispatcher"))


FAILURES = {
    # name: (persona, method, url, JSON body or None, raw body or None, expected status, expected code)
    "unknown case": ("dispatcher", "get", "/api/v1/events/999999", None, None, 404, "not_found"),
    "unknown region": ("dispatcher", "get", "/api/v1/regions/999999", None, None, 404, "not_found"),
    "unknown person": ("community", "get", "/api/v1/registry/people/999999", None, None, 404, "not_found"),
    "unknown dispute": ("worker_a", "get", "/api/v1/disputes/999999", None, None, 404, "not_found"),
    "unknown layer": ("dispatcher", "get", "/api/v1/layers/nope/grids", None, None, 404, "not_found"),
    "negative id in the path": ("dispatcher", "get", "/api/v1/events/-1", None, None, 404, "not_found"),
    "bad JSON": ("worker_a", "post", "/api/v1/events", None, '{"category": "0401", ', 422, "invalid"),
    "a list for an object": ("worker_a", "post", "/api/v1/events", None, "[1, 2]", 422, "invalid"),
    "wrong type": ("worker_a", "post", "/api/v1/events", {**REPORT, "lon": "east"}, None, 422, "invalid"),
    "missing field": ("worker_a", "post", "/api/v1/events", {"category": "0401"}, None, 422, "invalid"),
    "huge integer in a body list": ("worker_a", "post", "/api/v1/events", {**REPORT, "photos": [2**63]}, None, 422,
                                    "invalid"),
    "huge page": ("dispatcher", "get", f"/api/v1/regions?page={2**63}", None, None, 422, "invalid"),
    "huge id in the path": ("dispatcher", "get", f"/api/v1/events/{10**30}", None, None, 422, "invalid"),
    "forbidden role": ("sysadmin", "post", "/api/v1/events", REPORT, None, 403, "forbidden"),
    "forbidden registry": ("police", "get", "/api/v1/registry/people", None, None, 403, "forbidden"),
    "no session": ("anonymous", "get", "/api/v1/events", None, None, 401, "unauthenticated"),
    "illegal value": ("dispatcher", "get", "/api/v1/regions?level=planet", None, None, 422, "invalid"),
    "bad month": ("dispatcher", "get", "/api/v1/patrols/misses?month=2026-13", None, None, 422, "invalid"),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_failure_bodies_match_the_document(name):
    persona, method, url, body, raw, status, code = FAILURES[name]
    before = Event.objects.count()
    response = _send(persona, method, url, body, raw)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    check_body(method, url, response)
    assert Event.objects.count() == before


def test_validation_names_each_bad_field():
    response = _send("worker_a", "post", "/api/v1/events", {**REPORT, "lon": "east", "photos": [0]})
    assert response.status_code == 422
    fields = {d["field"]: d["message"] for d in response.json()["details"]}
    assert set(fields) == {"lon", "photos.0"}
    check_body("post", "/api/v1/events", response)


def test_stale_version_is_409_with_the_documented_body(case):
    url = f"/api/v1/events/{case.pk}/actions/supervise"
    response = _send("dispatcher", "post", url, {"version": case.version + 5})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert response.json()["details"] == [{"status": case.status, "version": case.version}]
    check_body("post", url, response)


def test_illegal_move_is_422_listing_the_allowed_moves(case):
    url = f"/api/v1/events/{case.pk}/actions/verify"
    response = _send("dispatcher", "post", url, {})
    assert response.status_code == 422 and response.json()["code"] == "illegal_move"
    assert {"action", "label"} <= set(response.json()["details"][0])
    check_body("post", url, response)


def test_failed_csrf_check_is_403_with_the_documented_body():
    from gridgov.accounts.models import User

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="worker_a"))
    response = client.post("/api/v1/events", json.dumps(REPORT), content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    check_body("post", "/api/v1/events", response)


def test_unknown_address_under_the_api_is_json():
    response = login_client("dispatcher").get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found" and response.json()["message"]


def test_too_many_visit_photos_is_422():
    from gridgov.events.tests.conftest import jpeg

    photos = [SimpleUploadedFile(f"p{i}.jpg", jpeg(), "image/jpeg") for i in range(10)]
    response = login_client("worker_a").post("/api/v1/visits", {"household": 1, "photos": photos})
    assert response.status_code == 422 and response.json()["field"] == "photos"
    check_body("post", "/api/v1/visits", response)


def test_a_signed_endpoint_without_a_signature_is_401_with_the_documented_body():
    response = Client().post("/api/v1/hotline/orders", json.dumps({"order_no": "X"}), content_type="application/json")
    assert response.status_code == 401
    check_body("post", "/api/v1/hotline/orders", response)


# -- requests the API cannot or will not read: the fuzz's findings (scripts/fuzz_api.py, docs/reliability.md) ------
def test_a_method_the_address_does_not_take_is_405_with_the_error_body():
    """ninja answered a plain-text 405 ("Method not allowed", text/html)."""
    response = login_client("dispatcher").delete("/api/v1/events")
    assert response.status_code == 405 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "method_not_allowed" and "GET" in body["message"] and "POST" in body["message"]
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    jsonschema.Draft202012Validator({"$ref": "#/components/schemas/ErrorOut", **openapi()}).validate(body)


def test_an_unknown_address_is_404_json_even_without_a_csrf_token():
    """A POST to an id that cannot be one, without a session, got Django's English CSRF page (403, HTML)."""
    client = Client(enforce_csrf_checks=True)
    url = "/api/v1/regions/abc/split"
    response = client.post(url, json.dumps({}), content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    check_body("post", url, response)


def test_multipart_without_a_boundary_is_422_naming_the_body():
    """Django's MultiPartParserError answered its English HTML 400 page (undocumented)."""
    before = Event.objects.count()
    response = login_client("worker_a").post("/api/v1/photos", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 422 and response.json()["field"] == "body"
    assert "multipart" in response.json()["message"]
    check_body("post", "/api/v1/photos", response)
    assert Event.objects.count() == before


def test_a_body_over_the_size_limit_is_413_with_the_error_body(settings):
    """A JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) answered Django's English HTML 400 page."""
    before = Event.objects.count()
    body = json.dumps({**REPORT, "description": "长" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 10)})
    response = login_client("worker_a").post("/api/v1/events", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "field": "body",
                               "message": "请求体超过 2.5 MB：请分几次发送（照片和文件请用 multipart 表单上传）。"}
    check_body("post", "/api/v1/events", response)
    assert Event.objects.count() == before


def test_too_many_form_fields_is_413(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    fields = {f"f{i}": "x" for i in range(30)}
    response = login_client("worker_a").post("/api/v1/visits", {"household": 1, **fields})
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    check_body("post", "/api/v1/visits", response)


def test_a_request_over_the_whole_request_limit_is_refused_before_it_is_read(settings):
    settings.GRIDGOV_MAX_REQUEST_BYTES = 2**20
    photo = SimpleUploadedFile("big.jpg", b"\xff" * (2**20 + 1), "image/jpeg")
    response = login_client("worker_a").post("/api/v1/photos", {"file": photo})
    assert response.status_code == 413 and response.json()["message"] == "请求超过 1 MB。"
    check_body("post", "/api/v1/photos", response)


NUL_CASES = {
    # name: (persona, method, url, JSON body or None, form or None, status, field)
    "JSON text": ("worker_a", "post", "/api/v1/events", {**REPORT, "description": "井盖\x00破损"}, None, 422,
                  "description"),
    "nested JSON text": ("worker_a", "post", "/api/v1/disputes",
                         {"kind": "neighbour", "summary": "空字符", "grid": 1,
                          "parties": [{"role": "applicant", "name": "张\x00三"}]}, None, 422, "parties.0.name"),
    "JSON key": ("worker_a", "post", "/api/v1/events", {**REPORT, "x\x00y": 1}, None, 422, "x\\x00y"),
    "query": ("dispatcher", "get", "/api/v1/regions?q=%E4%B8%B0%00", None, None, 422, "q"),
    "query, an operation without input": ("dispatcher", "get", "/api/v1/me?x=%00", None, None, 422, "x"),
    "form field": ("worker_a", "post", "/api/v1/visits", None, {"household": "1", "findings": "a\x00b"}, 422,
                   "findings"),
    "path": ("dispatcher", "get", "/api/v1/layers/zongzhi%00/grids", None, None, 404, None),
}


@pytest.mark.parametrize("name", list(NUL_CASES))
def test_a_nul_character_is_refused_naming_the_field(name):
    """PostgreSQL cannot store NUL (a 500 there); SQLite stored it. Now a 422 naming the field (404 in the
    address: no such address), and nothing changes."""
    from gridgov.accounts.models import User
    from gridgov.disputes.models import Dispute

    persona, method, url, body, form, status, field = NUL_CASES[name]
    if body and "lon" in body:  # inside worker_a's grid: without the guard the text reaches the database
        grid = User.objects.get(username="worker_a").grids.get()
        body = {**body, "lon": grid.centroid_lon, "lat": grid.centroid_lat}
    before = (Event.objects.count(), Dispute.objects.count())
    client = login_client(persona)
    if form is not None:
        response = client.post(url, form)
    else:
        response = _send(persona, method, url, body) if body is not None else getattr(client, method)(url)
    assert response.status_code == status, response.content
    if field:
        assert response.json()["field"] == field
        assert response.json()["details"] == [{"field": field, "message": "文本中不能含有空字符（\\x00）。"}]
    check_body(method, url, response)
    assert (Event.objects.count(), Dispute.objects.count()) == before

