import pytest

from gridgov.registry.models import Tag
from gridgov.registry.tags import STANDARD_TAGS, tags_seed

pytestmark = pytest.mark.django_db


def test_standard_tags_are_seeded_with_their_visit_frequencies():
    tags = {t.name: t for t in Tag.objects.all()}
    for _code, name, group, days in STANDARD_TAGS:
        assert tags[name].group == group and tags[name].visit_every_days == days
    assert tags["信访重点"].visit_every_days == 30 and tags["独居老人"].visit_every_days == 14


def test_seeding_again_never_overwrites_an_edit():
    Tag.objects.filter(code="C01").update(visit_every_days=7)
    assert tags_seed() == 0
    assert Tag.objects.get(code="C01").visit_every_days == 7


def test_system_administrator_edits_tags_others_do_not(as_user):
    tag = Tag.objects.get(code="C01")
    url = f"/admin/registry/tag/{tag.pk}/change/"
    data = {"code": "C01", "name": "独居老人", "group": "care", "visit_every_days": 10, "is_active": "on",
            "sort_order": 7}
    assert as_user("sysadmin").post(url, data).status_code == 302
    assert Tag.objects.get(code="C01").visit_every_days == 10
    assert as_user("secadmin").get(url).status_code == 403  # not their work (三员)
    assert as_user("secadmin").post(url, {**data, "visit_every_days": 3}).status_code == 403
    assert Tag.objects.get(code="C01").visit_every_days == 10
    for persona in ("worker_a", "leader"):
        assert as_user(persona).get(url).status_code == 302  # to the admin login: not an administrator
    assert as_user("sysadmin").get("/admin/registry/person/").status_code == 404  # people are not in the admin
