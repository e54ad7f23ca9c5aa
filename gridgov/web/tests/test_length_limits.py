"""A text over its limit is refused with the limit and the length in the message ("最多 2000 个字符，当前 2500 个"),
never cut: not by the browser (no maxlength on the forms' text boxes, which silently drops what is pasted beyond
it), not by a service (no slicing of what someone typed), in the web forms, the API and Open311."""

import json
import re

import pytest
from django.test import Client

from gridgov.disputes.models import Dispute
from gridgov.events.models import Category, Event

pytestmark = pytest.mark.django_db


def _tags(html: str, name: str) -> list[str]:
    return re.findall(rf'<(?:textarea|input)[^>]*name="{name}"[^>]*>', html)


def _field_error(response, name) -> str:
    found = re.search(rf'data-error-for="{name}">([^<]*)<', response.content.decode())
    assert found, response.content.decode()[:2000]
    return found.group(1)


@pytest.fixture
def grid(user):
    return user("worker_a").grids.get()


def test_the_citizen_report_refuses_a_long_description_with_the_numbers(grid):
    client = Client()
    form = client.get(f"/q/{grid.code}/").content.decode()
    assert _tags(form, "description") and not any("maxlength" in t for t in _tags(form, "description"))
    before = Event.objects.count()
    response = client.post(f"/q/{grid.code}/", {"category": "E101", "description": "长" * 2500})
    assert response.status_code == 422
    assert _field_error(response, "description") == "最多 2000 个字符，当前 2500 个。"
    assert "长" * 2500 in response.content.decode()  # what was typed stays, whole
    assert Event.objects.count() == before


def test_the_dispute_register_refuses_a_long_summary_with_the_numbers(as_user, grid):
    client = as_user("worker_a")
    form = client.get("/disputes/new/").content.decode()
    for name in ("summary", "party_name_0", "party_phone_0"):
        assert _tags(form, name) and not any("maxlength" in t for t in _tags(form, name)), name
    response = client.post("/disputes/new/", {"kind": "neighbour", "grid": grid.pk, "summary": "纠" * 2001,
                                              "party_name_0": "赵六"})
    assert response.status_code == 422
    assert _field_error(response, "summary") == "最多 2000 个字符，当前 2001 个。"
    assert not Dispute.objects.filter(summary__startswith="纠纠纠").exists()


@pytest.mark.parametrize("path", ["/cases/new/", "/disputes/{dispute}/", "/cases/{event}/"])
def test_hand_written_text_boxes_carry_no_maxlength(as_user, grid, path):
    client = as_user("worker_a")
    dispute = client.post("/api/v1/disputes", data=json.dumps({
        "kind": "neighbour", "grid": grid.pk, "summary": "楼道堆物", "parties": [{"role": "applicant", "name": "赵六"}]}),
        content_type="application/json").json()["id"]
    category = next(c for c in Category.objects.filter(photo_required_report=False, is_active=True) if c.fileable)
    event = client.post("/api/v1/events", data=json.dumps({
        "category": category.code, "description": "垃圾堆积", "lon": grid.centroid_lon, "lat": grid.centroid_lat}),
        content_type="application/json", HTTP_IDEMPOTENCY_KEY="boxes-1").json()["id"]
    html = client.get(path.format(dispute=dispute, event=event)).content.decode()
    boxes = re.findall(r"<(?:textarea|input)[^>]*>", html)
    assert boxes and not [b for b in boxes if "maxlength" in b]


def test_the_api_refuses_a_long_description_with_the_numbers(as_user, grid):
    response = as_user("worker_a").post("/api/v1/events", data=json.dumps({
        "category": "0301", "description": "长" * 2500, "lon": grid.centroid_lon, "lat": grid.centroid_lat}),
        content_type="application/json", HTTP_IDEMPOTENCY_KEY="too-long-1")
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "description" and "2000" in body["details"][0]["message"]
    assert "2500" in body["details"][0]["message"]


def test_the_dispute_api_refuses_a_long_summary_with_the_numbers(as_user, grid):
    response = as_user("worker_a").post("/api/v1/disputes", data=json.dumps({
        "kind": "neighbour", "grid": grid.pk, "summary": "纠" * 2001,
        "parties": [{"role": "applicant", "name": "赵六"}]}), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["details"][0]["message"] == "最多 2000 个字符，当前 2001 个。"


def test_open311_refuses_a_long_address_instead_of_cutting_it(grid):
    from gridgov.open311.models import Open311Client

    key = Open311Client.issue("长度测试")[1]
    before = Event.objects.count()
    response = Client().post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "0301", "description": "小区门口垃圾堆积", "lat": grid.centroid_lat,
        "long": grid.centroid_lon, "address_string": "路" * 300})
    assert response.status_code == 400, response.content
    text = response.json()[0]["description"]
    assert "address_string" in text and "200" in text and "300" in text
    assert Event.objects.count() == before


def test_escalating_a_dispute_keeps_the_reason_whole(as_user, grid):
    """The event's description quotes the dispute; a long summary is shortened visibly with a pointer to the
    dispute, and the reason typed for the escalation is never cut (or refused with the numbers if it cannot fit)."""
    client = as_user("worker_a")
    created = client.post("/api/v1/disputes", data=json.dumps({
        "kind": "neighbour", "grid": grid.pk, "summary": "纠" * 1990,
        "parties": [{"role": "applicant", "name": "赵六"}]}), content_type="application/json").json()
    reason = "双方分歧过大，需要街道综治中心协调" + "。" * 100
    answer = client.post(f"/api/v1/disputes/{created['id']}/actions/escalate", data=json.dumps({
        "reason": reason, "category": "0401"}), content_type="application/json")
    assert answer.status_code == 200, answer.content
    event = Event.objects.get(pk=answer.json()["event"]["id"])
    assert reason in event.description and created["number"] in event.description
    assert len(event.description) <= 2000

    other = client.post("/api/v1/disputes", data=json.dumps({
        "kind": "neighbour", "grid": grid.pk, "summary": "短纠纷",
        "parties": [{"role": "applicant", "name": "赵六"}]}), content_type="application/json").json()
    refused = client.post(f"/api/v1/disputes/{other['id']}/actions/escalate", data=json.dumps({
        "reason": "由" * 1999}), content_type="application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    assert re.fullmatch(r"最多 \d+ 个字符，当前 1999 个。", refused.json()["message"]), refused.json()
    assert Dispute.objects.get(pk=other["id"]).status == "registered"
