"""Real Chromium: a citizen's case held by two departments — the case page shows each department's part (desktop
and phone); the citizen's private page shows what was done, with the result photo, above the rating form; an
unsatisfied rating lands in the dispatcher's 不满意 queue with the comment, and the dispatcher reopens it."""

import io

import pytest
from PIL import Image

from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser


def _jpeg(color) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def verified_joint_case(demo_live_server, settings, tmp_path):
    """A citizen's 暴露垃圾 report: the street's sanitation office leads, the district's cleaning company assists;
    both report, the lead with a photo of the result, and the grid worker verifies."""

    from gridgov.accounts.models import User
    from gridgov.common.images import process_image
    from gridgov.events.choices import PhotoKind
    from gridgov.events.citizen import citizen_report
    from gridgov.events.services import event_transition, photo_store

    settings.MEDIA_ROOT = tmp_path / "media"
    grid = User.objects.get(username="worker_a").grids.get()
    event = citizen_report(grid=grid, category_code="E101", description="小区东门垃圾桶旁有暴露垃圾，气味很大",
                           lon=None, lat=None)
    lead = event.assignments.get(is_lead=True)
    assisting = event.assignments.get(is_lead=False)

    def handler(assignment):
        return User.objects.filter(department=assignment.department, role="dept_handler").first()

    event_transition(actor=handler(assisting), event_id=event.pk, action="sign_part", version=None)
    event_transition(actor=handler(assisting), event_id=event.pk, action="report_part", version=None,
                     reason="已派保洁员冲洗地面")
    event_transition(actor=handler(lead), event_id=event.pk, action="sign", version=None)
    moved = event_transition(actor=handler(lead), event_id=event.pk, action="feedback", version=None,
                             reason="暴露垃圾已全部清运，垃圾桶已消毒", data={"photo_count": 1})
    photo_store(image=process_image(_jpeg((70, 150, 80))), uploaded_by=handler(lead), event=moved,
                kind=PhotoKind.AFTER)
    event_transition(actor=User.objects.get(username="worker_a"), event_id=event.pk, action="verify", version=None)
    event.refresh_from_db()
    return event


def test_case_page_shows_the_parts_of_each_department(demo_live_server, page_for, verified_joint_case):
    base, event = demo_live_server.url, verified_joint_case
    for name, viewport in (("desktop", (1366, 820)), ("phone", (390, 844))):
        page = page_for(viewport=viewport)
        login(page, base, "street_dispatcher")
        page.goto(f"{base}/cases/{event.pk}/")
        parts = page.locator("#parts")
        parts.scroll_into_view_if_needed()
        text = parts.inner_text()
        assert "牵头" in text and "协办" in text
        assert "已派保洁员冲洗地面" in text and "暴露垃圾已全部清运，垃圾桶已消毒" in text
        assert parts.locator("tbody tr").count() == 2
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport[0] + 1, f"the page scrolls sideways on {name}: {width}px"
        shot(page, f"joint-parts-{name}")
        assert page.errors == []


def test_citizen_sees_the_result_rates_unsatisfied_and_the_dispatcher_reopens(demo_live_server, page_for,
                                                                              verified_joint_case):
    from gridgov.events.models import Event

    base, event = demo_live_server.url, verified_joint_case
    track = f"{base}/q/track/{event.citizen_token}/"
    desktop = page_for()
    desktop.goto(track)
    assert desktop.locator("#result").is_visible()
    shot(desktop, "citizen-result-desktop")

    phone = page_for(viewport=(390, 844))
    phone.goto(track)
    result, form = phone.locator("#result"), phone.locator("#rate-form")
    assert "暴露垃圾已全部清运，垃圾桶已消毒" in result.inner_text() and "核查时间" in result.inner_text()
    assert result.bounding_box()["y"] < form.bounding_box()["y"]  # what was done comes before the rating
    image = result.locator("img").first
    image.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391
    shot(phone, "citizen-result-phone")
    phone.check("#rate-form input[value=unsatisfied]")
    phone.fill("#rate-form input[name=comment]", "东门还是有异味")
    phone.click("#rate-form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert "感谢" in phone.content()
    shot(phone, "citizen-rated-phone")
    event.refresh_from_db()
    assert event.status == "unsatisfied" and event.satisfaction_comment == "东门还是有异味"
    assert phone.errors == [] and desktop.errors == []

    dispatcher = page_for()
    login(dispatcher, base, "street_dispatcher")
    dispatcher.goto(f"{base}/cases/?queue=unsatisfied")
    row = dispatcher.locator("table.cases tbody tr", has_text=event.number)
    assert "东门还是有异味" in row.inner_text()
    assert dispatcher.locator("nav.tabs a[data-queue=unsatisfied] .count").inner_text() != "0"
    shot(dispatcher, "unsatisfied-queue")
    dispatcher.goto(f"{base}/cases/{event.pk}/")
    assert "东门还是有异味" in dispatcher.locator("#unsatisfied-note").inner_text()
    shot(dispatcher, "unsatisfied-case")
    dispatcher.locator("#act").scroll_into_view_if_needed()
    shot(dispatcher, "unsatisfied-case-actions")
    dispatcher.fill("#act [name=reason]", "群众反映仍有异味，请重新处置")
    with dispatcher.expect_navigation():
        dispatcher.click("#act button[data-action=reopen]")
    event = Event.objects.get(pk=event.pk)
    assert event.status == "handling" and event.rework_count == 1
    assert "处置中" in dispatcher.locator("#status").inner_text()
    assert dispatcher.errors == []
