"""Every form's errors name the field by its Chinese label and list every problem (every field, every message), in
the summary above the form as well as next to each field: the citizen's report and the dispute register here;
``web/_form_errors.html`` and ``gridgov.common.forms.error_lines`` make it so for every form."""

import re

import pytest
from django.test import Client
from django.utils import translation

from gridgov.disputes.models import Dispute
from gridgov.events.models import Event

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u4e00-\u9fff]")


def summary(response) -> list[str]:
    """The lines of the error summary above the form."""
    block = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert block, "no error summary"
    return [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


def next_to_fields(response) -> dict[str, str]:
    return dict(re.findall(r'data-error-for="([^"]+)">([^<]*)<', response.content.decode()))


def test_the_citizen_report_lists_every_problem_by_its_chinese_label(user):
    grid_a = user("worker_a").grids.get()
    before = Event.objects.count()
    response = Client().post(f"/q/{grid_a.code}/", {
        "category": "", "description": "", "name": "名" * 65, "phone": "call me"})
    assert response.status_code == 422
    lines = summary(response)
    assert lines == ["问题类型：请选择问题类型。", "问题描述：请描述问题。",
                     lines[2], "您的电话号码：请填写仅包含数字的电话号码，或留空。"], lines
    assert lines[2].startswith("您的姓名：") and "64" in lines[2]
    assert not any(re.search(r"[A-Za-z_]{3,}", line) for line in lines), lines  # no English field names
    assert set(next_to_fields(response)) == {"category", "description", "name", "phone"}
    assert Event.objects.count() == before


def test_the_dispute_register_lists_every_message_of_every_field(as_user, user):
    grid = user("worker_a").grids.get()
    before = Dispute.objects.count()
    response = as_user("worker_a").post("/disputes/new/", {
        "kind": "", "grid": grid.pk, "summary": "", "client_key": "",
        "party_name_0": "", "party_name_1": "钱七", "party_phone_1": "call me at home, any evening after 7pm"})
    assert response.status_code == 422
    lines = summary(response)
    with translation.override("zh-hans"):
        from gridgov.disputes.forms import DisputeForm

        form = DisputeForm(user=user("worker_a"))
        label = {name: str(form.fields[name].label) for name in ("kind", "summary", "party_phone_1")}
    assert lines[0] == f"{label['kind']}：此字段为必填项。" and lines[1] == f"{label['summary']}：此字段为必填项。"
    phone_lines = [line for line in lines if line.startswith(label["party_phone_1"] + "：")]
    assert len(phone_lines) == 2, lines  # too long, and not a phone number: both
    assert "当事人 2" in label["party_phone_1"]
    assert all(HAN.search(line.split("：", 1)[0]) for line in lines), lines
    assert Dispute.objects.count() == before
    html = response.content.decode()
    assert "钱七" in html and "call me at home" in html  # what was typed stays
