"""Real headless Chromium: each persona's home on a phone and a desktop, the figures fit the screen, and a tap on
a figure opens the list it counts with exactly that many cases."""

import pytest

from gridgov.web.tests.conftest import login, shot
from gridgov.web.tests.home_cases import build_home_cases, sanitation_handler

pytestmark = pytest.mark.browser
PHONE, DESKTOP = (390, 844), (1366, 768)


@pytest.fixture
def home_live_server(demo_live_server, settings):
    settings.GRIDGOV_DUPLICATE_WINDOW_HOURS = 0
    build_home_cases()
    return demo_live_server


def _fits(page):
    """Nothing wider than the screen (no sideways scrolling on a phone)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("persona,tile,size", [
    ("worker_a", "to_verify", PHONE), ("street_dispatcher", "returned", DESKTOP),
    ("sanitation", "extension_requested", PHONE), ("community", "escalated", DESKTOP),
])
def test_a_figure_opens_the_list_it_counts(home_live_server, page_for, persona, tile, size):
    base = home_live_server.url
    page = page_for(size)
    username = sanitation_handler().username if persona == "sanitation" else persona
    login(page, base, username)
    page.goto(f"{base}/")
    figure = page.locator(f'[data-tile="{tile}"]')
    count = int(figure.get_attribute("data-count"))
    assert count == 1
    assert "我的工作台" in page.locator("h1").inner_text()
    _fits(page)
    shot(page, f"home-{persona}-{size[0]}")
    with page.expect_navigation():
        figure.click()
    assert f"queue={tile}" in page.url
    assert page.locator("table.cases tbody tr[data-event]").count() == count
    assert page.locator(f'nav.tabs a[data-queue="{tile}"]').get_attribute("class").startswith("active")
    _fits(page)
    assert page.errors == []


def test_a_worker_sees_todays_patrol_and_every_other_role_its_own_home(home_live_server, page_for):
    base = home_live_server.url
    page = page_for(PHONE)
    login(page, base, "worker_a")
    page.goto(f"{base}/")
    assert page.locator("#patrol-today").is_visible()
    page.locator('[data-patrol-action="start"]').click()
    page.wait_for_url("**/patrols/record/")
    for persona in ("gridleader", "dispatcher", "police", "leader", "sysadmin", "secadmin", "auditadmin"):
        for size in (PHONE, DESKTOP):
            other = page_for(size)
            login(other, base, persona)
            other.goto(f"{base}/")
            assert other.locator("[data-tile]").count() > 0, persona
            _fits(other)
            shot(other, f"home-{persona}-{size[0]}")
            assert other.errors == []
