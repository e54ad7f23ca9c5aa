"""Real Chromium on the staff report form: the photo after the fix shows only for a case solved on the spot."""

import pytest

from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser


def test_the_after_photo_shows_only_when_solved_on_the_spot(demo_live_server, page_for):
    base = demo_live_server.url
    page = page_for(viewport=(390, 844))
    login(page, base, "worker_a")
    page.goto(f"{base}/cases/new/")
    after = page.locator("label.after")
    assert not after.is_visible()
    assert page.locator("input[name=after_photos]").is_disabled()
    page.check("input[name=self_resolved]")
    assert after.is_visible() and page.locator("input[name=after_photos]").is_enabled()
    shot(page, "report-after-photo-phone")
    page.uncheck("input[name=self_resolved]")
    assert not after.is_visible() and page.locator("input[name=after_photos]").is_disabled()
    assert page.errors == []
