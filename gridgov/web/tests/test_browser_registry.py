"""Real headless Chromium on the registry pages, desktop and phone: search, a person with a reveal that asks a
reason (htmx), a form with Chinese field errors, a grid's page and the coverage page. Screenshots in test-artifacts/."""

import pytest

from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport,tag", [((1366, 820), "desktop"), ((390, 844), "phone")])
def test_registry_screens(demo_live_server, page_for, viewport, tag):
    from gridgov.accounts.models import User
    from gridgov.registry.models import Person

    base = demo_live_server.url
    grid = User.objects.get(username="worker_a").grids.get()
    person = Person.objects.filter(grid=grid, person_tags__tag__group="key").first()
    page = page_for(viewport)
    login(page, base, "worker_a")
    page.goto(f"{base}/registry/")
    assert page.locator("nav.nav a[href='/registry/']").count() == 1
    assert person.id_number not in page.content()
    shot(page, f"registry-search-{tag}")

    page.fill("input[name=q]", person.id_number)  # exact search by number: POSTed, masked answer
    page.click(".reg-filters button")
    page.wait_for_load_state("networkidle")
    assert person.id_number not in page.url and person.name in page.content()
    assert person.id_number not in page.content()

    page.goto(f"{base}/registry/people/{person.pk}/")
    assert person.id_number not in page.content() and person.phone not in page.content()
    page.locator(".reveal-box summary").first.click()
    page.locator(".reveal-form select[name=purpose]").first.select_option("home_check")
    shot(page, f"registry-person-reveal-box-{tag}")
    page.locator(".reveal-form button").first.click()
    page.wait_for_selector("[data-revealed=id_number]")
    assert page.locator("[data-revealed=id_number]").inner_text() == person.id_number
    shot(page, f"registry-person-revealed-{tag}")
    assert page.errors == []

    page.goto(f"{base}/registry/people/new/")
    page.fill("input[name=name]", "测试")
    page.fill("input[name=id_number]", "440306198506150010")  # wrong check digit
    page.fill("input[name=phone]", "12345")
    page.click(".reg-form button")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-error-for=id_number]").is_visible()
    assert page.locator("[data-error-for=phone]").is_visible()
    shot(page, f"registry-form-errors-{tag}")

    page.goto(f"{base}/grids/{grid.code}/registry/")
    assert grid.name in page.content()
    shot(page, f"registry-grid-{tag}")
    page.goto(f"{base}/registry/coverage/")
    shot(page, f"registry-coverage-{tag}")
    assert page.errors == []


def test_leader_coverage_desktop(demo_live_server, page_for):
    base = demo_live_server.url
    page = page_for()
    login(page, base, "dispatcher")
    page.goto(f"{base}/registry/coverage/")
    assert page.locator(".coverage tbody tr").count() >= 3
    shot(page, "registry-coverage-district-dispatcher")


def test_a_refused_reveal_shows_the_servers_message(demo_live_server, page_for):
    """A reveal the server refuses (a reason that is no reason; a role that lost the permission meanwhile) shows the
    server's message in the reveal box, and no number."""
    from gridgov.accounts.models import User
    from gridgov.registry.models import Person

    base = demo_live_server.url
    worker = User.objects.get(username="worker_a")
    person = Person.objects.filter(grid=worker.grids.get()).first()
    page = page_for((390, 844))
    login(page, base, "worker_a")
    page.goto(f"{base}/registry/people/{person.pk}/")
    box = page.locator(".reveal-box").first
    box.locator("summary").click()
    box.locator("select[name=purpose]").select_option("other")
    box.locator("input[name=reason]").fill("aaaa")  # 其他 needs a text that says something
    box.locator("button").click()
    box.locator("[data-error-for=reason]").wait_for()
    assert "其他" in box.locator("[data-error-for=reason]").inner_text()
    assert box.locator("select[name=purpose]").input_value() == "other"  # what was chosen stays
    assert box.locator("input[name=reason]").input_value() == "aaaa"
    assert person.id_number not in page.content()
    shot(page, "registry-reveal-refused-reason-phone")

    User.objects.filter(pk=worker.pk).update(role="leader")  # the permission is withdrawn while the page is open
    box.locator("select[name=purpose]").select_option("home_check")
    box.locator("button").click()
    page.wait_for_function("document.querySelector('.reveal-box .error')?.textContent.includes('角色')")
    assert person.id_number not in page.content()
    shot(page, "registry-reveal-refused-role-phone")
    assert page.errors == []
