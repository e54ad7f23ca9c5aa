"""Real headless Chromium on forms that refuse what was typed: the message names each field by the label the user
reads (never the API's English field name), lists every problem, and nothing typed is lost."""

import pytest

from gridgov.web.tests.conftest import login, shot
from gridgov.web.tests.test_case_loop import _click_lonlat

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport,tag", [((1366, 768), "desktop"), ((390, 844), "phone")])
def test_the_report_page_names_every_bad_field_by_its_label(demo_live_server, page_for, viewport, tag):
    from gridgov.accounts.models import User
    from gridgov.events.models import Event

    base = demo_live_server.url
    grid = User.objects.get(username="worker_a").grids.get()
    target = grid.children.order_by("code").first() or grid
    before = Event.objects.count()
    page = page_for(viewport)
    login(page, base, "worker_a")
    page.goto(f"{base}/cases/new/")
    page.wait_for_function("document.getElementById('map').dataset.ready === '1'", timeout=15000)
    _click_lonlat(page, "__gridgovReportMap", target.centroid_lon, target.centroid_lat)
    page.wait_for_function("document.getElementById('where').textContent.includes('网格')")
    page.click("#report button[type=submit]")  # no category, no description
    error = page.locator("#report-error")
    error.wait_for()
    text = error.inner_text()
    assert "类别" in text and "问题描述" in text, text  # both problems, by their labels
    assert "category" not in text and "description" not in text, text
    shot(page, f"report-errors-{tag}")
    assert Event.objects.count() == before
    assert page.errors == []
