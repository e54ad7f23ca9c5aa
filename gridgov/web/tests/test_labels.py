"""A button names what it does, a heading names what is listed: one English word used both as an action (or a list)
and as a statistic must not share one translation (达成协议化解 read 化解数 because "Settled" was both)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext

from gridgov.disputes import services
from gridgov.disputes.services import PartyIn

TEMPLATES = sorted(Path(settings.BASE_DIR, "gridgov").glob("*/templates/**/*.html"))
# A button or a section heading whose whole text is one translated message.
LABELLED = re.compile(r'<(button|h2|h3)\b[^>]*>\s*{%\s*translate\s+"([^"]+)"(?:\s+context\s+"([^"]+)")?\s*%}\s*</\1>')
STATISTIC = re.compile(r"(数|率)$")  # 化解数, 化解率, 户数, 成员数 …


def _labels():
    for path in TEMPLATES:
        for tag, msgid, context in LABELLED.findall(path.read_text(encoding="utf-8")):
            yield path.relative_to(settings.BASE_DIR), tag, msgid, context


def test_the_scan_finds_the_buttons_and_headings():
    found = {(str(path), msgid) for path, _tag, msgid, _ctx in _labels()}
    assert ("gridgov/disputes/templates/disputes/detail.html", "Save the step") in found  # the pattern still matches
    assert len(found) > 30


def test_no_button_or_heading_reads_like_a_statistic():
    with translation.override("zh-hans"):
        wrong = [(str(path), tag, msgid, text) for path, tag, msgid, context in _labels()
                 if STATISTIC.search(text := (pgettext(context, msgid) if context else gettext(msgid)))]
    assert wrong == []


@pytest.fixture
def grid_a(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_a").grids.get()


def test_the_settle_button_says_settle_and_the_statistics_say_how_many(as_user, user, grid_a):
    dispute = services.dispute_register(actor=user("worker_a"), kind="neighbour", summary="楼上漏水纠纷",
                                        grid_id=grid_a.pk, parties=[PartyIn(role="applicant", name="张三")])[0]
    page = as_user("worker_a").get(f"/disputes/{dispute.pk}/").content.decode()
    button = re.search(r'<button[^>]*data-action="settle"[^>]*>([^<]*)</button>', page)
    assert button and button.group(1).strip() == "达成协议化解"
    stats = as_user("worker_a").get("/disputes/stats/").content.decode()
    headers = re.findall(r'<th class="n">([^<]*)</th>', stats)
    assert headers[:3] == ["排查数", "化解数", "化解率"]
