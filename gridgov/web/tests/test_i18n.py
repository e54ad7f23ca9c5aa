"""The UI speaks Simplified Chinese by default: the catalogue is complete and pages render in Chinese."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUES = sorted(Path(settings.LOCALE_PATHS[0]).glob("zh_Hans/LC_MESSAGES/*.po"))


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_every_message_has_a_chinese_translation(path):
    po = polib.pofile(str(path))
    assert len(po) > 10
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_pages_are_chinese_by_default_and_english_on_request(as_user):
    client = as_user("street_dispatcher")
    page = client.get("/grids/validation/").content.decode()
    assert "网格校验" in page and "Grid validation" not in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Grid validation" in client.get("/grids/validation/").content.decode()


def test_api_errors_are_chinese_with_the_field(as_user):
    body = as_user("worker_a").get("/api/v1/grids/locate?lon=east&lat=22.6").json()
    assert body["field"] == "lon" and body["details"][0]["message"] == "必须是数字。"
