"""Real Chromium, three accounts, one case through the whole loop: the worker reports with a photo → it is
dispatched automatically → the department signs for it and reports the result with a photo → the worker verifies
→ the dispatcher records satisfaction."""


import pytest
from PIL import Image

from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser


def _photo(tmp_path, name, color):
    path = tmp_path / name
    Image.new("RGB", (800, 600), color).save(path, "JPEG")
    return str(path)


def _click_lonlat(page, map_var, lon, lat):
    x, y = page.evaluate(f"(() => {{ const p = window.{map_var}.latLngToContainerPoint([{lat}, {lon}]); "
                         f"return [p.x, p.y]; }})()")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def _act(page, action, **fields):
    for name, value in fields.items():
        if name == "photos":
            page.set_input_files("#act input[name=photos]", value)
        elif name in ("satisfaction",):
            page.select_option(f"#act select[name={name}]", value)
        else:
            page.fill(f"#act [name={name}]", value)
    with page.expect_navigation():
        page.click(f"#act button[data-action={action}]")


def test_one_case_through_the_whole_loop(demo_live_server, page_for, tmp_path, settings):
    from gridgov.accounts.models import User
    from gridgov.events.models import Event

    settings.MEDIA_ROOT = tmp_path / "media"
    base = demo_live_server.url
    worker = User.objects.get(username="worker_a")
    grid = worker.grids.get()
    if grid.children.exists():  # click inside a micro-grid-free spot: the grid's first child is fine too
        target = grid.children.order_by("code").first()
    else:
        target = grid

    # 1. The worker reports from a phone with a photo.
    page = page_for(viewport=(390, 844))
    login(page, base, "worker_a")
    page.goto(f"{base}/cases/new/")
    page.wait_for_function("document.getElementById('map').dataset.ready === '1'", timeout=15000)
    page.select_option("select[name=category]", "0301")
    page.fill("textarea[name=description]", "小区门口积存垃圾约两立方，气味明显")
    _click_lonlat(page, "__gridgovReportMap", target.centroid_lon, target.centroid_lat)
    page.wait_for_function("document.getElementById('where').textContent.includes('网格')")
    page.set_input_files("input[name=photos]", _photo(tmp_path, "before.jpg", (120, 90, 60)))
    shot(page, "loop-1-report-form")
    with page.expect_navigation(url="**/cases/*/"):
        page.click("button[type=submit]")
    event = Event.objects.latest("id")
    assert event.status == "dispatched" and event.auto_dispatched and event.photos.count() == 1
    assert "已派遣" in page.locator("#status").inner_text()
    shot(page, "loop-2-dispatched")
    assert page.errors == []

    # 2. The department handler signs for it and reports the result with a photo.
    handler = User.objects.filter(department=event.lead_department, role="dept_handler").first()
    desk = page_for()
    login(desk, base, handler.username)
    desk.goto(f"{base}/cases/?queue=to_sign")
    assert event.number in desk.content()
    shot(desk, "loop-3-department-inbox")
    desk.goto(f"{base}/cases/{event.pk}/")
    _act(desk, "sign")
    _act(desk, "feedback", reason="已清运完毕", photos=_photo(tmp_path, "after.jpg", (60, 160, 60)))
    event.refresh_from_db()
    assert event.status == "handled" and event.photos.filter(kind="after").count() == 1
    shot(desk, "loop-4-handled")
    assert desk.errors == []

    # 3. The worker verifies on site.
    page.goto(f"{base}/cases/?queue=to_verify")
    assert event.number in page.content()
    page.goto(f"{base}/cases/{event.pk}/")
    _act(page, "verify", reason="现场已核实")
    event.refresh_from_db()
    assert event.status == "closed"

    # 4. The dispatcher records the citizen's satisfaction.
    dispatcher = page_for()
    login(dispatcher, base, "street_dispatcher")
    dispatcher.goto(f"{base}/cases/?queue=to_rate")
    assert event.number in dispatcher.content()
    dispatcher.goto(f"{base}/cases/{event.pk}/")
    _act(dispatcher, "rate", satisfaction="satisfied", reason="电话回访")
    event.refresh_from_db()
    assert event.status == "rated" and event.satisfaction == "satisfied"
    timeline = dispatcher.locator(".timeline").inner_text()
    for label in ("已派遣", "处置中", "已处置", "已结案"):
        assert label in timeline
    assert dispatcher.locator(".photos img").count() == 2
    shot(dispatcher, "loop-5-rated")
    assert dispatcher.errors == []


def test_a_stale_move_shows_the_conflict(demo_live_server, page_for, tmp_path, settings):
    from gridgov.accounts.models import User
    from gridgov.events.services import Report, event_report, event_transition

    dispatcher_user = User.objects.get(username="street_dispatcher")
    grid = User.objects.get(username="worker_a").grids.get()
    event = event_report(actor=dispatcher_user, report=Report(category_code="0401", description="楼上漏水纠纷",
                                                              lon=grid.centroid_lon, lat=grid.centroid_lat,
                                                              channel="dispatcher"))
    page = page_for()
    login(page, demo_live_server.url, "street_dispatcher")
    page.goto(f"{demo_live_server.url}/cases/{event.pk}/")
    event_transition(actor=dispatcher_user, event_id=event.pk, action="supervise", version=event.version)
    page.fill("#act [name=reason]", "重复录入")
    page.click("#act button[data-action=cancel]")
    page.wait_for_selector("#act-error:not([hidden])")
    assert "刷新" in page.locator("#act-error").inner_text() or "重新加载" in page.locator("#act-error").inner_text()
    event.refresh_from_db()
    assert event.status == "dispatched"
    shot(page, "loop-conflict")
