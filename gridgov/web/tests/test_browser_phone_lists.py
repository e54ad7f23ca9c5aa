"""Real Chromium at 390 px (a phone): no list page scrolls sideways, in Chinese or English, for the roles that see it;
on the case list each case is a card whose number, status and deadline are all on screen."""

import pytest

from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser
WIDTH = 390
LISTS = ("/cases/?queue=open", "/cases/", "/disputes/", "/disputes/stats/", "/visits/", "/visits/overdue/",
         "/patrols/", "/patrols/schedule/", "/anomalies/", "/registry/?tab=people", "/registry/?tab=houses",
         "/registry/?tab=units", "/registry/?tab=organisations", "/registry/coverage/", "/regions/",
         "/grids/validation/")
ROLES = ("dispatcher", "worker_a", "leader", "police")  # the command centre, the grid, a reader, a department


@pytest.fixture
def open_cases(demo_live_server):
    """Cases with long words in English (a supervised one, a dispatched one) in the grids every role here sees."""
    from gridgov.accounts.models import User
    from gridgov.events.citizen import citizen_report
    from gridgov.events.services import event_transition

    grid = User.objects.get(username="worker_a").grids.get()
    events = [citizen_report(grid=grid, category_code=code, description="小区东门垃圾桶旁有暴露垃圾，气味很大，请尽快处理",
                             lon=None, lat=None) for code in ("E101", "0301", "0302")]  # no duplicates
    event_transition(actor=User.objects.get(username="street_dispatcher"), event_id=events[0].pk,
                     action="supervise", version=None, reason="群众多次反映")
    return events


@pytest.mark.parametrize("role", ROLES)
def test_no_list_scrolls_sideways_on_a_phone(demo_live_server, page_for, open_cases, role):
    base = demo_live_server.url
    page = page_for(viewport=(WIDTH, 844))
    login(page, base, role)
    seen = []
    for lang in ("zh-hans", "en"):
        page.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
        for path in LISTS:
            response = page.goto(f"{base}{path}")
            if response.status in (403, 404):  # not this role's page
                continue
            assert response.status == 200, f"{role} {path}: {response.status}"
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= WIDTH, f"{role} {lang} {path} scrolls sideways: {width}px"
            seen.append(path)
            if path == "/cases/?queue=open" and role != "police":
                _case_cards_fit(page, f"{role} {lang}")
                if role == "dispatcher":
                    shot(page, f"phone-cases-{lang}")
    assert "/cases/" in seen or "/cases/?queue=open" in seen
    assert page.errors == []


def _case_cards_fit(page, where):
    rows = page.locator("table.cases tbody tr")
    assert rows.count() >= 3, where
    for i in range(rows.count()):
        for part in ("td:first-child a", ".badge", "td.deadline"):  # number, status, deadline
            box = rows.nth(i).locator(part).first.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, f"{where}: {part} of row {i} off screen"
