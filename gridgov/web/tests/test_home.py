"""Everyone's home page shows their own work (gridgov/web/home.py): each figure equals the rows of the list it
links to, counts only what the user may see, and the page costs a fixed number of queries whatever the data."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.web.tests.home_cases import build_home_cases, sanitation_handler

pytestmark = pytest.mark.django_db

PERSONAS = ["worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "police",
            "sanitation", "hotline", "leader", "sysadmin", "secadmin", "auditadmin"]
TILE = re.compile(r'<(?:a|div) class="tile[^"]*"(?: href="([^"]*)")? data-tile="([^"]+)" data-count="([^"]*)"')


@pytest.fixture
def cases(without_demo_cases, settings):
    """The known cases of build_home_cases alone (the demo's history removed), so that EXPECTED is exact."""
    settings.GRIDGOV_DUPLICATE_WINDOW_HOURS = 0  # the cases lie on one spot: no duplicate linking
    return build_home_cases()


def client_for(as_user, persona):
    if persona == "sanitation":
        from django.test import Client

        client = Client()
        client.force_login(sanitation_handler())
        return client
    return as_user(persona)


def tiles(client) -> dict[str, tuple[str, int]]:
    response = client.get("/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return {key: (href.replace("&amp;", "&"), int(count)) for href, key, count in
            TILE.findall(response.content.decode())}


def listed(client, url: str) -> int:
    """The number of rows the linked list shows (from the list's own paginator or computation, not the tab)."""
    response = client.get(url)
    assert response.status_code == 200, url
    ctx = response.context
    if url.startswith("/cases/"):
        rows = re.findall(r'<tr data-event="\d+"', response.content.decode())
        assert len(rows) == min(ctx["page"].paginator.count, 30)
        assert ctx["queue"] == url.split("queue=")[1]  # the list opened on the very queue the tile counts
        return ctx["page"].paginator.count
    if url.startswith("/visits/overdue/"):
        return len(ctx["dues"]) if ctx.get("own") else ctx["area_total"]
    if url.startswith("/admin/"):
        return ctx["cl"].result_count
    return ctx["page"].paginator.count  # anomalies, regions


EXPECTED = {  # what build_home_cases puts in each persona's queues (others may be 0 or anything)
    "worker_a": {"mine_open": 7, "to_verify": 1},
    "worker_b": {"mine_open": 1, "to_verify": 0},
    "gridleader": {"mine_open": 0, "to_verify": 1, "overdue": 1, "open": 12},
    "community": {"to_accept": 3, "returned": 1, "escalated": 1, "extension_requested": 1, "to_verify": 1,
                  "unsatisfied": 1, "expiring": 1, "overdue": 1, "open": 12},
    "street_dispatcher": {"to_accept": 3, "to_dispatch": 0, "returned": 1, "escalated": 1,
                          "extension_requested": 1, "unsatisfied": 1, "expiring": 1, "overdue": 1,
                          "supervised": 1, "open": 13},
    "dispatcher": {"escalated": 0, "open": 13},
    "police": {"to_sign": 2, "handling": 0, "supervised": 1, "returned": 0},
    "sanitation": {"to_sign": 4, "handling": 1, "returned": 1, "extension_requested": 1, "expiring": 1,
                   "overdue": 1, "supervised": 0},
    "hotline": {"to_sign": 0, "handling": 0},
    "leader": {"open": 13, "overdue": 1, "expiring": 1, "supervised": 1, "level_district": 1},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_home_figure_equals_the_rows_of_the_list_it_links_to(as_user, cases, persona):
    client = client_for(as_user, persona)
    shown = tiles(client)
    assert shown, "a home page with no figures"
    for key, want in EXPECTED.get(persona, {}).items():
        assert shown[key][1] == want, (persona, key)
    for key, (href, count) in shown.items():
        if href:
            assert listed(client, href) == count, (persona, key, href)


WORKING = {"worker_a": "to_verify", "worker_b": "mine_open", "community": "to_accept",
           "street_dispatcher": "to_accept", "dispatcher": "open", "police": "to_sign", "hotline": "to_sign",
           "leader": "open"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_on_the_demo_history_every_figure_equals_its_list_and_work_is_waiting(as_user, persona):
    """The demo district as `make run` serves it: each home figure still equals the list it links to, and every
    persona with work to do finds some waiting (the lived-in demo, issue 9)."""
    client = client_for(as_user, persona)
    shown = tiles(client)
    assert shown, "a home page with no figures"
    for key, (href, count) in shown.items():
        if href:
            assert listed(client, href) == count, (persona, key, href)
    if persona in WORKING:
        assert shown[WORKING[persona]][1] > 0, (persona, WORKING[persona])


def test_the_figures_follow_the_cases_through_the_loop(as_user, cases, user):
    """Verify the handled case: it leaves the worker's 待核查 and stays out of 我的在办上报 once closed."""
    from gridgov.events.services import event_transition

    before = tiles(as_user("worker_a"))
    event_transition(actor=user("worker_a"), event_id=cases["handled"].pk, action="verify", version=None)
    after = tiles(as_user("worker_a"))
    assert (before["to_verify"][1], after["to_verify"][1]) == (1, 0)
    assert (before["mine_open"][1], after["mine_open"][1]) == (7, 6)
    queues = as_user("worker_a").get("/api/v1/events/queues").json()  # 我上报的 counts the closed ones too
    assert queues["mine"] == 8 and queues["mine_open"] == 6
    assert as_user("worker_a").get("/cases/?queue=mine").context["page"].paginator.count == 8


def test_a_department_counts_only_what_it_holds_and_what_it_returned(as_user, cases, user):
    """Sanitation returned a case; once it is dispatched to the market office and runs late, it is the market
    office's overdue case, no longer sanitation's 已退回 nor its 已超期 (it still sees the case)."""
    from gridgov.accounts.models import Department
    from gridgov.events.models import Event
    from gridgov.events.services import event_transition

    grid = user("worker_a").grids.get()
    market = Department.objects.get(region__code=grid.path.strip("/").split("/")[1], kind="market")
    event_transition(actor=user("street_dispatcher"), event_id=cases["returned"].pk, action="dispatch",
                     version=None, data={"lead_department": market.pk})
    Event.objects.filter(pk=cases["returned"].pk).update(deadline=timezone.now() - dt.timedelta(minutes=5))
    sanitation = client_for(as_user, "sanitation")
    shown = tiles(sanitation)
    assert shown["returned"][1] == 0 and shown["overdue"][1] == 1  # only its own late case, not the market's
    assert sanitation.get(f"/cases/{cases['returned'].pk}/").status_code == 200
    from django.test import Client

    market_client = Client()
    market_client.force_login(market.staff.filter(role="dept_handler").first())
    assert tiles(market_client)["overdue"][1] == 1


def test_an_approved_extension_leaves_the_queue(as_user, cases, user):
    from gridgov.events.services import event_transition

    assert tiles(as_user("street_dispatcher"))["extension_requested"][1] == 1
    listed_page = as_user("street_dispatcher").get("/cases/?queue=extension_requested").content.decode()
    assert "申请延期： 需协调清运车辆" in listed_page  # what the department needs the time for
    event_transition(actor=user("street_dispatcher"), event_id=cases["extension"].pk, action="approve_extension",
                     version=None, data={"amount": 1})
    assert tiles(as_user("street_dispatcher"))["extension_requested"][1] == 0
    assert tiles(client_for(as_user, "sanitation"))["extension_requested"][1] == 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_home_page_costs_the_same_queries_whatever_the_data(as_user, settings, persona,
                                                                django_assert_max_num_queries):
    settings.GRIDGOV_DUPLICATE_WINDOW_HOURS = 0
    client = client_for(as_user, persona)
    client.get("/")  # warm: session, translations, the routing directory
    with CaptureQueriesContext(connection) as empty:
        client.get("/")
    build_home_cases()
    build_home_cases()
    with django_assert_max_num_queries(16):
        with CaptureQueriesContext(connection) as full:
            client.get("/")
    assert len(full) == len(empty), persona


def test_a_grid_leaders_visit_figure_matches_the_workers_own_list(as_user, user):
    """Two computations: the overseer's area total (distinct targets) and worker_a's own overdue list, over the
    one grid they share."""
    area = tiles(as_user("gridleader"))["visits_overdue"][1]
    own = as_user("worker_a").get("/visits/overdue/").context["dues"]
    assert area == len(own) and area > 0


def test_todays_patrol_shows_start_then_the_patrol_under_way(as_user, user, time_machine):
    from gridgov.fieldwork.models import GpsPoint, PatrolDay
    from gridgov.fieldwork.services import day_bounds, patrol_day_compute, patrol_session_start
    from gridgov.fieldwork.tests.conftest import line, store

    today = timezone.localdate()
    time_machine.move_to(day_bounds(today)[0] + dt.timedelta(hours=10), tick=False)  # mid-morning, whatever the clock
    worker = user("worker_a")
    GpsPoint.objects.filter(worker=worker).delete()
    PatrolDay.objects.filter(worker=worker, day=today).delete()
    body = as_user("worker_a").get("/").content.decode()
    assert 'data-running="0"' in body and 'data-patrol-action="start"' in body and "今日尚未开始巡查" in body

    now = timezone.now()
    patrol_session_start(actor=worker, client_key="home-test", started_at=now - dt.timedelta(minutes=30))
    grid = worker.grids.get()
    store(worker, line(now - dt.timedelta(minutes=30), lon=grid.centroid_lon, lat=grid.centroid_lat, n=30,
                       step_s=60, east_m=20))
    summary = patrol_day_compute(worker=worker, day=today)
    body = as_user("worker_a").get("/").content.decode()
    assert 'data-running="1"' in body and 'data-patrol-action="continue"' in body and "巡查中" in body
    assert f"<b>{round(summary.distance_m / 1000, 1)}</b> 公里" in body
    assert f"<b>{summary.moving_seconds // 60}</b> 分钟巡查" in body
    assert f"/patrols/replay/{worker.pk}/{today.isoformat()}/" in body
    assert 'id="patrol-today"' not in as_user("community").get("/").content.decode()  # no patrols to make


def test_the_workbench_opens_on_the_first_queue_with_cases(without_demo_cases, as_user, user, settings):
    """Nothing to accept or dispatch, one case returned: the street dispatcher's workbench opens on 已退回; a
    queue asked for is kept even when empty; with no case at all it opens on the first queue."""
    from gridgov.events.services import Report, event_report, event_transition

    dispatcher = as_user("street_dispatcher")
    assert dispatcher.get("/cases/").context["queue"] == "to_accept"
    grid = user("worker_a").grids.get()
    event = event_report(actor=user("worker_a"), report=Report(
        category_code="0301", description="退回测试", lon=grid.centroid_lon, lat=grid.centroid_lat, photo_count=1))
    assert as_user("worker_a").get("/cases/").context["queue"] == "mine_open"  # nothing to verify yet
    event_transition(actor=sanitation_handler(), event_id=event.pk, action="return", version=None,
                     reason="不属于本单位")
    response = dispatcher.get("/cases/")
    assert response.context["queue"] == "returned"
    assert event.number in response.content.decode()
    assert dispatcher.get("/cases/?queue=bogus").context["queue"] == "returned"
    assert dispatcher.get("/cases/?queue=to_accept").context["queue"] == "to_accept"
    department = client_for(as_user, "sanitation").get("/cases/")
    assert department.context["queue"] == "returned"  # its only case: returned by it, waiting for a dispatcher
    assert "已退回待派遣" in department.content.decode()


@pytest.mark.parametrize("queue", ["", "to_sign", "handling", "returned", "extension_requested", "overdue"])
def test_a_departments_cases_are_one_id_set_not_a_lookup_per_case(queue):
    """A department sees the cases it was sent: as a correlated EXISTS over its parts, SQLite walked the
    department's whole (department, active) index for every case (the home page of a 环卫办 took 11.6 s over
    20,000 cases, `python -m bench home`); as an id set computed once it takes milliseconds. The speed is measured in
    bench/home.py; this checks the shape that gives it."""
    from gridgov.events.selectors import event_list

    sql = str(event_list(user=sanitation_handler(), queue=queue or None).values("pk").query)  # what is counted
    assert '"events_event"."id" IN (SELECT' in sql
    assert '= ("events_event"."id")' not in sql  # no subquery looked up again for each case
