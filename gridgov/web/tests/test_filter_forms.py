"""The GET filters of list pages are Django forms: a value that does not validate (an unknown queue or level, a text
far too long) falls back to the default, so a stale or hand-edited address still shows the page."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", [
    "/cases/?queue=no-such-queue", "/cases/?q=" + "x" * 500, "/regions/?level=planet", "/regions/?q=" + "长" * 300,
    "/grids/validation/?root=" + "9" * 200, "/registry/coverage/?region=" + "9" * 200,
    "/visits/targets/?q=" + "王" * 300,
])
def test_a_bad_filter_falls_back_to_the_default(as_user, url):
    response = as_user("community").get(url)
    assert response.status_code in (200, 404)
    assert response.status_code == 200 or "coverage" in url  # an unknown region is 'not found', never a 500


def test_the_workbench_opens_the_roles_first_queue_when_the_queue_is_unknown(as_user, user):
    """An unknown queue is no queue: the workbench opens where it opens by itself (the first queue with cases,
    gridgov/web/tests/test_home.py)."""
    from gridgov.events.selectors import ROLE_QUEUES, first_queue, queue_counts

    dispatcher = user("dispatcher")
    first = first_queue(dispatcher, queue_counts(user=dispatcher))
    plain = as_user("dispatcher").get("/cases/")
    unknown = as_user("dispatcher").get("/cases/?queue=bogus")
    assert plain.context["queue"] == unknown.context["queue"] == first
    chosen = ROLE_QUEUES["dispatcher"][1]
    assert as_user("dispatcher").get(f"/cases/?queue={chosen}").context["queue"] == chosen


def test_a_region_filter_keeps_a_valid_level_and_search(as_user):
    response = as_user("dispatcher").get("/regions/?level=street&q=街道")
    assert response.status_code == 200
    assert response.context["level"] == "street" and response.context["q"] == "街道"
    assert all(r.level == "street" for r in response.context["page"])
