"""Real headless Chromium on a phone and a desktop: the overdue list, the visit form (the phone's position fills
lon/lat, a target is picked with the search box, a photo is attached), the visit log; the dispute screens."""

import pytest

from gridgov.visits.tests.conftest import jpeg
from gridgov.web.tests.conftest import ARTIFACTS, login, shot

pytestmark = pytest.mark.browser
PHONE = (390, 844)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Visit photos go to a temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


def test_a_worker_visits_from_the_overdue_list_on_a_phone(demo_live_server, page_for, tmp_path):
    from gridgov.accounts.models import User
    from gridgov.visits.models import Visit
    from gridgov.visits.selectors import overdue_for_worker

    base = demo_live_server.url
    worker = User.objects.get(username="worker_a")
    due = overdue_for_worker(viewer=worker, worker=worker)
    assert due, "the demo leaves something overdue"
    grid = worker.grids.get()
    page = page_for(PHONE)
    page.context.grant_permissions(["geolocation"], origin=base)
    page.context.set_geolocation({"longitude": grid.centroid_lon, "latitude": grid.centroid_lat, "accuracy": 12})
    login(page, base, "worker_a")
    page.goto(f"{base}/visits/overdue/")
    assert page.locator("h1").inner_text() == "我的待走访" or "待走访" in page.locator("h1").inner_text() \
        or "overdue" in page.locator("h1").inner_text().lower()
    assert page.locator("table.dues tbody tr").count() == len(due)
    shot(page, "visits-overdue-phone")

    first = due[0]
    page.locator("table.dues tbody tr").first.locator("a.btn").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("label.target.chosen input").is_checked()
    page.wait_for_function("document.querySelector('input[name=lon]').value !== ''", timeout=10000)
    photo = tmp_path / "visit.jpg"
    photo.write_bytes(jpeg())
    page.fill("textarea[name=findings]", "浏览器测试：入户走访，情况正常")
    page.set_input_files("input[name=photos]", str(photo))
    shot(page, "visits-form-phone")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert f"{first.kind}={first.id}" in page.url
    visit = Visit.objects.get(findings="浏览器测试：入户走访，情况正常")
    assert getattr(visit, f"{first.kind}_id") == first.id and visit.lon == pytest.approx(grid.centroid_lon)
    assert visit.photos.count() == 1
    assert page.locator(f"table.visits a[href='/visits/{visit.pk}/']").is_visible()  # findings: hidden on phones
    shot(page, "visits-log-phone")
    assert first.id not in [d.id for d in overdue_for_worker(viewer=worker, worker=worker) if d.kind == first.kind]

    # Searching for another target in the form.
    page.goto(f"{base}/visits/new/")
    other = next(d for d in due if d.kind == "household")
    page.fill("input[name=q]", other.name.split()[0])
    page.wait_for_selector(f"input[value='household:{other.id}']", timeout=10000)
    shot(page, "visits-search-phone")
    assert not page.errors


def test_an_overseer_sees_workers_and_the_dispute_screens(demo_live_server, page_for):
    from gridgov.disputes.models import Dispute

    base = demo_live_server.url
    page = page_for()
    login(page, base, "community")
    page.goto(f"{base}/visits/overdue/")
    assert page.locator("table.workers tbody tr").count() >= 1
    page.locator("table.workers tbody tr a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("table.dues").is_visible()
    shot(page, "visits-overdue-community-desktop")

    page.goto(f"{base}/disputes/")
    assert page.locator("table.disputes tbody tr").count() >= 1
    shot(page, "disputes-list-desktop")
    page.goto(f"{base}/disputes/stats/?level=grid")
    shot(page, "disputes-stats-desktop")

    # Register, mediate, settle in the browser.
    page.goto(f"{base}/disputes/new/")
    page.select_option("select[name=kind]", "neighbour")
    page.fill("textarea[name=summary]", "浏览器登记：楼道堆物纠纷")
    page.fill("input[name=party_name_0]", "测试甲")
    page.fill("input[name=party_phone_0]", "13900001111")
    page.fill("input[name=party_name_1]", "测试乙")
    page.click("#dispute-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    dispute = Dispute.objects.get(summary="浏览器登记：楼道堆物纠纷")
    assert dispute.number in page.content() and "139****1111" in page.content()
    page.fill("textarea[name=note]", "上门分别谈话")
    page.click("button[data-action=step]")
    page.wait_for_load_state("networkidle")
    page.fill("textarea[name=agreement]", "三日内清理楼道")
    page.click("button[data-action=settle]")
    page.wait_for_load_state("networkidle")
    dispute.refresh_from_db()
    assert dispute.status == "settled"
    assert page.locator("button[data-action=follow_up]").is_visible()
    assert page.locator("ul.timeline li").count() >= 4
    shot(page, "disputes-detail-desktop")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    shot(page, "disputes-detail-phone")
    page.goto(f"{base}/disputes/new/")
    shot(page, "disputes-new-phone")
    # Another dispute cannot be settled in the grid: escalate it as an event.
    page.set_viewport_size({"width": 1366, "height": 820})
    from gridgov.accounts.models import User

    community = User.objects.get(username="community")
    other = (Dispute.objects.filter(status__in=["registered", "mediating", "failed"]).restrict(community)
             .exclude(pk=dispute.pk).first())
    assert other is not None, "the demo has open disputes in community 1"
    page.goto(f"{base}/disputes/{other.pk}/")
    page.fill("form:has(button[data-action=escalate]) textarea[name=reason]", "涉及多方，社区无法化解")
    page.click("button[data-action=escalate]")
    page.wait_for_load_state("networkidle")
    other.refresh_from_db()
    assert other.status == "escalated" and other.event.number in page.content()
    shot(page, "disputes-escalated-desktop")
    assert not page.errors
    assert ARTIFACTS.exists()
