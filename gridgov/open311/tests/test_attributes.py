"""Service definitions (GeoReport v2): categories with extra questions publish metadata=true and their attributes at
services/{code}; a POSTed request answers them as attribute[code]=value, checked with the spec's 400 errors, stored on
the case and shown on the case page and in the API. Categories without questions keep metadata=false."""

import pytest

from gridgov.events.models import Category, CategoryAttribute, Event
from gridgov.open311.tests.conftest import FORMATS, errors, parse, post_request, rows

pytestmark = pytest.mark.django_db
MANHOLE = "B101"  # 井盖缺失破损: 部件编号 (string), 井盖情况 (singlevaluelist, required), 是否位于机动车道
LAMP = "B102"  # 路灯损坏: 部件编号, 故障现象 (multivaluelist, required)
COLLAPSE = "E501"  # 路面塌陷: 是否有人受伤 (required), 涉及人数 (number), 面积 (number), 发现时间 (datetime)
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description"]


def services(client, fmt) -> dict:
    body = parse(client.get(f"/open311/v2/services.{fmt}"), fmt)
    listed = rows(body, "service") if fmt == "xml" else body
    return {s["service_code"]: s for s in listed}


@pytest.mark.parametrize("fmt", FORMATS)
def test_only_categories_with_questions_publish_metadata_true(client, fmt):
    listed = services(client, fmt)
    true, false = ("true", "false") if fmt == "xml" else (True, False)
    with_questions = set(CategoryAttribute.objects.values_list("category__code", flat=True))
    assert {MANHOLE, LAMP, COLLAPSE} <= with_questions
    for code, service in listed.items():
        assert service["metadata"] == (true if code in with_questions else false), code
    assert listed["0301"]["metadata"] == false  # 积存垃圾 asks nothing more than a description


def test_the_service_definition_in_json_follows_the_spec(client):
    body = client.get(f"/open311/v2/services/{MANHOLE}.json").json()
    assert body == {"service_code": MANHOLE, "attributes": [
        {"variable": True, "code": "component_no", "datatype": "string", "required": False,
         "datatype_description": "部件标牌上的编号，如 0403-0012；看不到可不填", "order": 1, "description": "部件编号"},
        {"variable": True, "code": "lid_state", "datatype": "singlevaluelist", "required": True,
         "datatype_description": None, "order": 2, "description": "井盖情况",
         "values": [{"key": "missing", "name": "缺失"}, {"key": "broken", "name": "破损"},
                    {"key": "loose", "name": "松动或移位"}]},
        {"variable": True, "code": "on_roadway", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 3, "description": "是否位于机动车道",
         "values": [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]},
    ]}
    datatypes = {a["code"]: a["datatype"] for a in client.get(f"/open311/v2/services/{COLLAPSE}.json").json()[
        "attributes"]}
    assert datatypes == {"anyone_hurt": "singlevaluelist", "people_involved": "number", "area_m2": "number",
                         "noticed_at": "datetime"}


def test_the_service_definition_in_xml_follows_the_spec(client):
    root = parse(client.get(f"/open311/v2/services/{LAMP}.xml"), "xml")
    assert root.tag == "service_definition" and [c.tag for c in root] == ["service_code", "attributes"]
    assert root.findtext("service_code") == LAMP
    attributes = root.find("attributes").findall("attribute")
    assert [a.findtext("code") for a in attributes] == ["component_no", "fault"]
    plain, multiple = attributes
    assert [c.tag for c in plain] == ATTRIBUTE_FIELDS  # no values for a string
    assert [c.tag for c in multiple] == [*ATTRIBUTE_FIELDS, "values"]
    assert (multiple.findtext("variable"), multiple.findtext("datatype"), multiple.findtext("required"),
            multiple.findtext("order")) == ("true", "multivaluelist", "true", "2")
    values = [(v.findtext("key"), v.findtext("name")) for v in multiple.find("values").findall("value")]
    assert values[:2] == [("dark", "不亮"), ("day_on", "白天常亮")] and len(values) == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_category_without_questions_has_an_empty_definition_and_ignores_attributes(client, api, api_key, point,
                                                                                      fmt):
    assert client.get(f"/open311/v2/services/0301.{fmt}").status_code == 200
    assert client.get("/open311/v2/services/0301.json").json() == {"service_code": "0301", "attributes": []}
    response = post_request(api, fmt, key=api_key, point=point, **{"attribute[anything]": "x"})
    assert response.status_code == 201, response.content
    assert Event.objects.latest("id").attributes == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_are_checked_stored_on_the_case_and_shown(api, api_key, point, fmt, as_user):
    response = post_request(api, fmt, key=api_key, point=point, service_code=MANHOLE, description="井盖不见了",
                            **{"attribute[component_no]": " 0403-0012 ", "attribute[lid_state]": "missing",
                               "attribute[on_roadway]": "yes", "attribute[not_a_question]": "ignored"})
    assert response.status_code == 201, response.content
    event = Event.objects.latest("id")
    assert event.attributes == [
        {"code": "component_no", "label": "部件编号", "value": "0403-0012", "text": "0403-0012"},
        {"code": "lid_state", "label": "井盖情况", "value": "missing", "text": "缺失"},
        {"code": "on_roadway", "label": "是否位于机动车道", "value": "yes", "text": "是"},
    ]
    dispatcher = as_user("dispatcher")
    api_detail = dispatcher.get(f"/api/v1/events/{event.pk}").json()
    assert api_detail["attributes"] == event.attributes
    page = dispatcher.get(f"/cases/{event.pk}/").content.decode()
    assert "部件编号" in page and "0403-0012" in page and "井盖情况" in page and "缺失" in page


def test_a_multiple_choice_takes_the_spec_list_form_and_numbers_and_times_are_typed(api, api_key, point):
    response = post_request(api, "json", key=api_key, point=point, service_code=LAMP, description="路灯不亮还歪了",
                            **{"attribute[fault][]": ["dark", "pole", "dark"]})
    assert response.status_code == 201, response.content
    assert Event.objects.latest("id").attributes == [
        {"code": "fault", "label": "故障现象", "value": ["dark", "pole"], "text": "不亮、灯杆倾斜或破损"}]
    response = post_request(api, "json", key=api_key, point=point, service_code=COLLAPSE, description="路面塌了",
                            **{"attribute[anyone_hurt]": "no", "attribute[people_involved]": "3",
                               "attribute[area_m2]": "2.50", "attribute[noticed_at]": "2026-01-05T08:00:00Z"})
    assert response.status_code == 201, response.content
    answers = {a["code"]: a for a in Event.objects.latest("id").attributes}
    assert answers["people_involved"]["value"] == 3 and answers["area_m2"]["value"] == 2.5
    assert answers["area_m2"]["text"] == "2.5"
    assert answers["noticed_at"]["value"] == "2026-01-05T16:00:00+08:00"
    assert answers["noticed_at"]["text"] == "2026-01-05 16:00"


REFUSALS = [
    # (service, attributes, the argument named, words of the reason)
    (MANHOLE, {"attribute[component_no]": "0403-0012"}, "attribute[lid_state]", "必填"),  # required, missing
    (MANHOLE, {"attribute[lid_state]": "  "}, "attribute[lid_state]", "必填"),  # required, blank
    (MANHOLE, {"attribute[lid_state]": "gone"}, "attribute[lid_state]", "missing（缺失）"),  # not in the list
    (MANHOLE, {"attribute[lid_state]": ["missing", "broken"]}, "attribute[lid_state]", "一个值"),  # single: one
    (LAMP, {"attribute[fault][]": ["dark", "sparks"]}, "attribute[fault]", "sparks"),  # multi: each in the list
    (COLLAPSE, {"attribute[anyone_hurt]": "no", "attribute[people_involved]": "三个"}, "attribute[people_involved]",
     "数字"),  # wrong datatype
    (COLLAPSE, {"attribute[anyone_hurt]": "no", "attribute[people_involved]": "NaN"}, "attribute[people_involved]",
     "数字"),
    (COLLAPSE, {"attribute[anyone_hurt]": "no", "attribute[noticed_at]": "昨天"}, "attribute[noticed_at]", "ISO 8601"),
    (MANHOLE, {"attribute[lid_state]": "missing", "attribute[component_no]": "a\nb"}, "attribute[component_no]",
     "一行"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("service, attributes, argument, reason", REFUSALS)
def test_bad_answers_are_400_in_the_spec_format_and_create_nothing(api, api_key, point, fmt, service, attributes,
                                                                   argument, reason):
    before = Event.objects.count()
    response = post_request(api, fmt, key=api_key, point=point, service_code=service, description="有问题",
                            **attributes)
    assert response.status_code == 400, response.content
    [(status, description)] = errors(response, fmt)
    assert status == 400
    assert description.startswith(f"{argument}：") and reason in description, description
    assert Event.objects.count() == before


def test_a_note_that_only_informs_takes_no_answer(client, api, api_key, point):
    category = Category.objects.get(code=MANHOLE)
    CategoryAttribute.objects.create(category=category, code="note", description="如有人员被困请拨打 119",
                                     datatype="text", variable=False, required=True, order=9)
    note = client.get(f"/open311/v2/services/{MANHOLE}.json").json()["attributes"][-1]
    assert note["variable"] is False and note["code"] == "note"
    response = post_request(api, "json", key=api_key, point=point, service_code=MANHOLE, description="井盖坏了",
                            **{"attribute[lid_state]": "broken", "attribute[note]": "ignored"})
    assert response.status_code == 201, response.content
    assert [a["code"] for a in Event.objects.latest("id").attributes] == ["lid_state"]


# ======================================================================================================================
# Editing the questions in the admin
# ======================================================================================================================
def test_the_system_administrator_edits_questions_in_the_admin_and_bad_choices_are_refused(as_user):
    from gridgov.common.models import AuditLog
    from gridgov.common.tests.test_admin_audit import category_form

    category = Category.objects.get(code="0301")
    assert not category.attributes.exists()
    admin = as_user("sysadmin")
    url = f"/admin/events/category/{category.pk}/change/"
    page = admin.get(url).content.decode()
    assert "attributes-TOTAL_FORMS" in page
    new = {"attributes-TOTAL_FORMS": 1, "attributes-0-category": category.pk, "attributes-0-order": 1,
           "attributes-0-code": "amount", "attributes-0-description": "垃圾量", "attributes-0-datatype":
           "singlevaluelist", "attributes-0-required": "on", "attributes-0-variable": "on",
           "attributes-0-datatype_description": "", "attributes-0-choices": "small=一小堆\nlarge=需要车辆清运"}

    refused = admin.post(url, category_form(category, **{**new, "attributes-0-choices": ""}))
    assert refused.status_code == 200 and "至少需要一个选项" in refused.content.decode()
    twice = admin.post(url, category_form(category, **{**new, "attributes-0-choices": "a=甲\na=乙"}))
    assert twice.status_code == 200 and "重复" in twice.content.decode()
    bad_code = admin.post(url, category_form(category, **{**new, "attributes-0-code": "垃圾 量"}))
    assert bad_code.status_code == 200
    assert not category.attributes.exists()

    saved = admin.post(url, category_form(category, **new))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    question = category.attributes.get()
    assert question.values == [{"key": "small", "name": "一小堆"}, {"key": "large", "name": "需要车辆清运"}]
    assert AuditLog.objects.filter(action="admin.create", object_type="events.categoryattribute",
                                   object_id=str(question.pk)).exists()
    assert as_user("secadmin").get(url).status_code == 403
    duplicate = {**new, "attributes-TOTAL_FORMS": 2, "attributes-INITIAL_FORMS": 1, "attributes-0-id": question.pk,
                 **{k.replace("attributes-0-", "attributes-1-"): v for k, v in new.items()
                    if k.startswith("attributes-0-")}, "attributes-1-order": 2}
    response = admin.post(url, category_form(category, **duplicate))  # the same code twice: an error, not a 500
    assert response.status_code == 200 and category.attributes.count() == 1
