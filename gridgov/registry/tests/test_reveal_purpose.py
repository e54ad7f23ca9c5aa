"""Why an ID number or phone is revealed: a purpose chosen from a list (入户核查, 矛盾调处, 案件办理, …, 其他) and a
free text, which 其他 requires and which must say something ("aaaa" does not). The API and the page apply the same
rules; the audit row keeps the purpose and the text."""

import json
import re

import pytest

from gridgov.common.models import AuditLog

pytestmark = pytest.mark.django_db
PURPOSES = {"home_check": "入户核查", "dispute": "矛盾调处", "case": "案件办理", "visit": "走访慰问",
            "special_care": "特殊人群帮扶", "other": "其他"}


def _reveal(client, person, **body):
    return client.post(f"/api/v1/registry/people/{person.pk}/reveal", data=json.dumps(body),
                       content_type="application/json")


def _rows():
    return AuditLog.objects.filter(action="registry.person.reveal", outcome="success")


@pytest.mark.parametrize(("body", "field"), [
    ({"reason": "aaaa"}, "reason"),                          # no purpose: the text must say why, and this does not
    ({"purpose": "other", "reason": "aaaa"}, "reason"),
    ({"purpose": "other", "reason": "1111 ...."}, "reason"),
    ({"purpose": "other", "reason": ""}, "reason"),          # 其他 needs the text
    ({"purpose": "other", "reason": "核实"}, "reason"),       # too short to say anything
    ({"purpose": "curiosity", "reason": "想看看这个人"}, "purpose"),
    ({}, "purpose"),                                         # neither a purpose nor a text
])
def test_a_reason_that_says_nothing_is_refused_and_not_audited(as_user, person_a, body, field):
    before = _rows().count()
    response = _reveal(as_user("worker_a"), person_a, field="id_number", **body)
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["field"] == field and re.search(r"[\u4e00-\u9fff]", answer["message"]), answer
    assert person_a.id_number not in response.content.decode()
    assert _rows().count() == before


@pytest.mark.parametrize(("body", "purpose", "text"), [
    ({"purpose": "home_check"}, "home_check", ""),
    ({"purpose": "dispute", "reason": "调解邻里漏水纠纷"}, "dispute", "调解邻里漏水纠纷"),
    ({"purpose": "other", "reason": "协助派出所核对身份"}, "other", "协助派出所核对身份"),
    ({"reason": "上门走访核实身份"}, "other", "上门走访核实身份"),  # a client of the first API: its text is 其他
])
def test_the_audit_row_keeps_the_purpose_and_the_text(as_user, person_a, body, purpose, text):
    response = _reveal(as_user("worker_a"), person_a, field="id_number", **body)
    assert response.status_code == 200 and response.json()["value"] == person_a.id_number
    row = _rows().latest("id")
    assert row.detail == {"field": "id_number", "purpose": purpose, "purpose_label": PURPOSES[purpose],
                          "reason": text}


def test_the_page_offers_the_purposes_and_keeps_what_was_chosen(as_user, person_a):
    client = as_user("worker_a")
    page = client.get(f"/registry/people/{person_a.pk}/").content.decode()
    offered = re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]+)</option>', page)
    assert set(PURPOSES.items()) <= set(offered)
    refused = client.post(f"/registry/people/{person_a.pk}/reveal/",
                          {"field": "phone", "purpose": "other", "reason": "aaaa"}, HTTP_HX_REQUEST="true")
    html = refused.content.decode()
    assert refused.status_code == 422 and person_a.phone not in html
    assert re.search(r'<option value="other"[^>]*selected', html) and 'value="aaaa"' in html
    assert re.search(r'data-error-for="reason">[^<]*[\u4e00-\u9fff]', html)
    shown = client.post(f"/registry/people/{person_a.pk}/reveal/", {"field": "phone", "purpose": "visit"},
                        HTTP_HX_REQUEST="true")
    assert shown.status_code == 200 and person_a.phone in shown.content.decode()
    assert _rows().latest("id").detail["purpose"] == "visit"


def test_a_person_outside_the_area_is_named_in_the_box_not_a_whole_page(as_user, user):
    from gridgov.registry.models import Person

    outsider = Person.objects.filter(grid=user("worker_b").grids.get()).first()
    response = as_user("worker_a").post(f"/registry/people/{outsider.pk}/reveal/",
                                        {"field": "phone", "purpose": "visit"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 404 and "<html" not in html and 'class="error"' in html
    assert re.search(r'class="error" role="alert">[^<]*[\u4e00-\u9fff]', html)
    assert outsider.id_number not in html and _rows().filter(object_id=str(outsider.pk)).count() == 0
