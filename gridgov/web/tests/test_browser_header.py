"""Real Chromium: the header keeps 退出 (log out) on screen and clickable at every common width, in Chinese and English,
for the roles with the longest menus (the dispatcher's, the system administrator's); every menu entry stays
reachable (on a phone behind the menu button) and the page never scrolls sideways."""

import pytest

from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser
WIDTHS = (390, 768, 1024, 1366)
LANGUAGES = ("zh-hans", "en")
ROLES = ("dispatcher", "sysadmin", "worker_a", "police")
LOGOUT = "form.logout button"

# Where the element is, whether it lies inside the viewport, and whether a click at its centre reaches it.
BOX = """el => { const r = el.getBoundingClientRect(); const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  return {inside: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5
          && r.bottom <= innerHeight + 0.5, reachable: !!hit && (hit === el || el.contains(hit)),
          box: [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)]}; }"""


def _check(page, width, lang, role):
    where = f"{role} {lang} {width}px"
    logout = page.locator(LOGOUT)
    seen = logout.evaluate(BOX)
    assert seen["inside"] and seen["reachable"], f"log out hidden or covered for {where}: {seen}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"sideways scroll for {where}"
    toggle = page.locator(".nav-toggle-label")
    if toggle.is_visible():
        toggle.click()
    links = page.locator("nav.nav a")
    assert links.count() >= 4
    for i in range(links.count()):
        seen = links.nth(i).evaluate(BOX)
        assert seen["inside"] and seen["reachable"], f"menu entry {i} unreachable for {where}: {seen}"
    seen = logout.evaluate(BOX)
    assert seen["inside"] and seen["reachable"], f"log out covered by the open menu for {where}: {seen}"
    if toggle.is_visible():
        toggle.click()


@pytest.mark.parametrize("role", ROLES)
def test_log_out_stays_visible_and_clickable(demo_live_server, page_for, role):
    base = demo_live_server.url
    page = page_for(viewport=(1366, 768))
    login(page, base, role)
    for lang in LANGUAGES:
        page.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 768 if width > 390 else 844})
            page.goto(f"{base}/")
            _check(page, width, lang, role)
            if role == "dispatcher":
                shot(page, f"header-{role}-{lang}-{width}")
    page.locator(LOGOUT).click()  # and it really logs out
    page.wait_for_url("**/login/**")
    assert page.errors == []
