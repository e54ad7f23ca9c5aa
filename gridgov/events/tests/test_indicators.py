"""The standard indicators: exact values per region, department and reporter on a small known set of cases, the
totals and rates, the period, the scope, the Excel file, refusals and the number of queries."""

import datetime as dt
import io
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.accounts.models import Department, User
from gridgov.common import calendar
from gridgov.common.models import CalendarDay
from gridgov.events.indicators import COLUMNS, indicator_report
from gridgov.events.models import Category, Event, Transition
from gridgov.events.services import Report, event_report, event_transition
from gridgov.events.tests.conftest import point_in
from gridgov.regions.models import Region

pytestmark = pytest.mark.django_db

FIELDS = [c.field for c in COLUMNS]
ZERO = {f: 0 for f in FIELDS} | {f: None for f in FIELDS if f.endswith("_rate")} | {"avg_handling_hours": None}


def street_dept(grid, kind):
    return Department.objects.get(region__code=grid.path.strip("/").split("/")[1], kind=kind)


def handler(dept) -> User:
    return User.objects.filter(department=dept, role="dept_handler").order_by("username").first()


def report(actor, code, grid, **extra):
    lon, lat = point_in(grid)
    return event_report(actor=actor, report=Report(category_code=code, description="指标测试", lon=lon, lat=lat,
                                                   photo_count=extra.pop("photo_count", 1), **extra))


def move(actor, event, action, reason="", **data):
    return event_transition(actor=actor, event_id=event.pk, action=action, version=None, reason=reason, data=data)


def expect(**values) -> dict:
    return {**ZERO, **values}


@pytest.fixture
def cases(without_demo_cases, user, grid_a, settings):
    """Nine cases reported now in the first street, one reported 40 days ago (and no others: the demo's removed):

    A 0301 auto → handled → closed on time → satisfied          (sanitation, 2 h to handle)
    E 0301 at A's spot → rejected as a duplicate of A
    B E101 auto → returned → dispatched to market → handled → rework → handled → closed on time → unsatisfied (4 h)
    C B301 auto → still dispatched, deadline an hour ago          (sanitation: overdue, due, not closed)
    D 0302 auto → deadline two hours ago → handled late → closed late → basically satisfied (ecology, 6 h)
    F solved on the spot; G a citizen's report rejected as invalid; H accepted, registered, dispatched by hand
    W worker_b's 0301 in grid B (sanitation); X 0402 auto, reported 40 days ago (stability)

    Handling times are counted in working hours. So that A, B and D take their known 2, 4 and 6 hours whatever day
    and hour the suite runs, the office is open round the clock and the days of these cases are working days (set
    after intake, so deadlines are the usual ones). Real office hours, weekends and holidays:
    test_average_handling_time_counts_working_hours_only.
    """
    worker_a, worker_b, dispatcher = user("worker_a"), user("worker_b"), user("street_dispatcher")
    grid_b = worker_b.grids.get()
    sanitation, market = street_dept(grid_a, "sanitation"), street_dept(grid_a, "market")
    ecology, urban = street_dept(grid_a, "ecology"), street_dept(grid_a, "urban_mgmt")
    for code, parent in (("9901", "03"), ("9902", "04")):  # no routing rule: a dispatcher decides
        Category.objects.create(code=code, name=f"待派遣{code}", level="subclass",
                                parent=Category.objects.get(code=parent), photo_required_report=False)
    now = timezone.now()
    c = {}
    c["A"] = report(worker_a, "0301", grid_a)
    c["E"] = report(worker_a, "0301", grid_a)
    c["B"] = report(worker_a, "E101", grid_a)
    c["C"] = report(worker_a, "B301", grid_a)
    c["D"] = report(worker_a, "0302", grid_a)
    c["F"] = report(worker_a, "0401", grid_a, self_resolved=True, photo_count=2, after_photo_count=1)
    c["G"] = report(AnonymousUser(), "9902", grid_a, channel="citizen", reporter_name="市民")
    c["H"] = report(worker_a, "9901", grid_a)
    c["W"] = report(worker_b, "0301", grid_b)
    c["X"] = report(worker_a, "0402", grid_a)
    assert [c[k].status for k in "AEBCDFGHWX"] == ["dispatched", "rejected", "dispatched", "dispatched", "dispatched",
                                                   "closed", "reported", "reported", "dispatched", "dispatched"]
    assert c["E"].duplicate_of_id == c["A"].pk
    assert {c[k].lead_department_id for k in "ABCW"} == {sanitation.pk} and c["D"].lead_department == ecology

    hs = handler(sanitation)
    move(hs, c["A"], "sign")
    move(hs, c["A"], "feedback", photo_count=1)
    move(worker_a, c["A"], "verify")
    move(dispatcher, c["A"], "rate", satisfaction="satisfied")

    move(hs, c["B"], "return", reason="不属于本单位")
    move(dispatcher, c["B"], "dispatch", lead_department=market.pk)
    move(handler(market), c["B"], "feedback", photo_count=1)
    move(worker_a, c["B"], "rework", reason="仍有垃圾")
    move(handler(market), c["B"], "feedback", photo_count=1)
    move(worker_a, c["B"], "verify")
    move(dispatcher, c["B"], "rate", satisfaction="unsatisfied")

    Event.objects.filter(pk=c["C"].pk).update(deadline=now - dt.timedelta(hours=1))

    Event.objects.filter(pk=c["D"].pk).update(deadline=now - dt.timedelta(hours=2))
    move(handler(ecology), c["D"], "feedback", photo_count=1)
    move(worker_a, c["D"], "verify")
    move(dispatcher, c["D"], "rate", satisfaction="basic")

    move(dispatcher, c["G"], "reject", reason="无效上报", reject_reason="invalid")
    move(dispatcher, c["H"], "accept")
    move(dispatcher, c["H"], "register")
    move(dispatcher, c["H"], "dispatch", lead_department=urban.pk)

    for key, hours in (("A", 2), ("B", 4), ("D", 6)):  # known handling times
        Event.objects.filter(pk=c[key].pk).update(dispatched_at=F("handled_at") - dt.timedelta(hours=hours))
    Event.objects.filter(pk=c["X"].pk).update(reported_at=now - dt.timedelta(days=40))
    settings.GRIDGOV_OFFICE_HOURS = "00:00-24:00"
    for back in range(2):  # handled now, dispatched at most 6 hours ago: today and yesterday
        CalendarDay.objects.update_or_create(date=timezone.localdate() - dt.timedelta(days=back),
                                             defaults={"kind": CalendarDay.Kind.WORKDAY})
    calendar.clear_cache()
    c = {k: Event.objects.get(pk=e.pk) for k, e in c.items()}
    assert (c["B"].return_count, c["B"].rework_count, c["B"].lead_department) == (1, 1, market)
    assert c["D"].handled_at > c["D"].deadline and c["A"].closed_at < c["A"].deadline
    c["now"] = timezone.now()
    c["grid_b"], c["sanitation"], c["market"], c["ecology"], c["urban"] = grid_b, sanitation, market, ecology, urban
    return c


def period(now=None):
    today = timezone.localdate(now)
    return {"date_from": (today - dt.timedelta(days=1)).isoformat(), "date_to": today.isoformat()}


def get(client, **params):
    return client.get("/api/v1/indicators", params)


# The first street as a whole, over the two days up to today.
STREET_TOTAL = expect(
    reported=9, accepted=7, registered=6, registration_rate=0.8571, dispatched=6, accurately_dispatched=5,
    accurate_dispatch_rate=0.8333, handled=3, handled_on_time=2, on_time_handling_rate=0.6667, overdue=2, due=4,
    closed=3, closure_rate=0.75, closed_on_time=2, on_time_closure_rate=0.5, rework=1, self_resolved=1,
    avg_handling_hours=4.0, duplicates=1, duplicate_rate=0.1111, rated=3, satisfied=2, satisfaction_rate=0.6667)
COMMUNITY_A = {**STREET_TOTAL, **expect(
    reported=8, accepted=6, registered=5, registration_rate=0.8333, dispatched=5, accurately_dispatched=4,
    accurate_dispatch_rate=0.8, handled=3, handled_on_time=2, on_time_handling_rate=0.6667, overdue=2, due=4,
    closed=3, closure_rate=0.75, closed_on_time=2, on_time_closure_rate=0.5, rework=1, self_resolved=1,
    avg_handling_hours=4.0, duplicates=1, duplicate_rate=0.125, rated=3, satisfied=2, satisfaction_rate=0.6667)}
ONLY_W = expect(reported=1, accepted=1, registered=1, registration_rate=1.0, dispatched=1, accurately_dispatched=1,
                accurate_dispatch_rate=1.0, duplicate_rate=0.0)


def values(row) -> dict:
    return {f: row[f] for f in FIELDS}


def test_region_rows_are_the_communities_of_the_street_with_exact_values(cases, as_user, grid_a):
    body = get(as_user("street_dispatcher"), **period()).json()
    street = Region.objects.get(pk=grid_a.parent.parent_id)
    assert body["group"] == "region" and body["region"]["code"] == street.code
    communities = list(Region.objects.filter(parent=street).order_by("code"))
    assert [r["key"] for r in body["rows"]] == [r.code for r in communities]
    rows = {r["key"]: r for r in body["rows"]}
    assert values(rows[grid_a.parent.code]) == COMMUNITY_A
    assert values(rows[cases["grid_b"].parent.code]) == ONLY_W
    for other in communities:
        if other.pk not in (grid_a.parent_id, cases["grid_b"].parent_id):
            assert values(rows[other.code]) == ZERO  # nothing counted: every rate is null, not an error
    assert values(body["total"]) == STREET_TOTAL and body["total"]["name"] == "合计"


def test_rows_add_up_to_the_total(cases, as_user):
    for group in ("region", "department", "worker"):
        body = get(as_user("street_dispatcher"), group=group, **period()).json()
        for field in FIELDS:
            if isinstance(body["total"][field], int):
                assert sum(r[field] for r in body["rows"]) == body["total"][field], (group, field)


def test_district_rows_are_streets_and_a_community_shows_its_grids(cases, as_user, grid_a):
    body = get(as_user("dispatcher"), **period()).json()
    streets = list(Region.objects.filter(level="street").order_by("code"))
    assert [r["key"] for r in body["rows"]] == [s.code for s in streets]
    assert values(body["rows"][0]) == STREET_TOTAL and values(body["rows"][1]) == ZERO
    assert values(body["total"]) == STREET_TOTAL
    community = get(as_user("street_dispatcher"), region=grid_a.parent.code, **period()).json()
    assert community["region"]["code"] == grid_a.parent.code
    current = Region.objects.filter(parent=grid_a.parent).current().order_by("code")
    assert [r["key"] for r in community["rows"]] == [g.code for g in current]  # retired grids with nothing: hidden
    grid_row = next(r for r in community["rows"] if r["key"] == grid_a.code)
    assert values(grid_row) == COMMUNITY_A and values(community["total"]) == COMMUNITY_A


def test_department_rows(cases, as_user):
    body = get(as_user("street_dispatcher"), group="department", **period()).json()
    rows = {r["key"]: r for r in body["rows"]}
    san, market, eco, urban = (cases[k] for k in ("sanitation", "market", "ecology", "urban"))
    assert [r["key"] for r in body["rows"]] == sorted([san.code, market.code, eco.code, urban.code]) + [None]
    assert rows[san.code]["name"] == san.name
    assert values(rows[san.code]) == expect(  # A, C, W
        reported=3, accepted=3, registered=3, registration_rate=1.0, dispatched=3, accurately_dispatched=3,
        accurate_dispatch_rate=1.0, handled=1, handled_on_time=1, on_time_handling_rate=1.0, overdue=1, due=2,
        closed=1, closure_rate=0.5, closed_on_time=1, on_time_closure_rate=0.5, avg_handling_hours=2.0,
        duplicate_rate=0.0, rated=1, satisfied=1, satisfaction_rate=1.0)
    assert values(rows[market.code]) == expect(  # B: returned by sanitation, then handled by the market office
        reported=1, accepted=1, registered=1, registration_rate=1.0, dispatched=1, accurately_dispatched=0,
        accurate_dispatch_rate=0.0, handled=1, handled_on_time=1, on_time_handling_rate=1.0, due=1, closed=1,
        closure_rate=1.0, closed_on_time=1, on_time_closure_rate=1.0, rework=1, avg_handling_hours=4.0,
        duplicate_rate=0.0, rated=1, satisfied=0, satisfaction_rate=0.0)
    assert values(rows[eco.code]) == expect(  # D: handled and closed late
        reported=1, accepted=1, registered=1, registration_rate=1.0, dispatched=1, accurately_dispatched=1,
        accurate_dispatch_rate=1.0, handled=1, handled_on_time=0, on_time_handling_rate=0.0, overdue=1, due=1,
        closed=1, closure_rate=1.0, closed_on_time=0, on_time_closure_rate=0.0, avg_handling_hours=6.0,
        duplicate_rate=0.0, rated=1, satisfied=1, satisfaction_rate=1.0)
    assert values(rows[urban.code]) == expect(  # H: registered and dispatched by hand
        reported=1, accepted=1, registered=1, registration_rate=1.0, dispatched=1, accurately_dispatched=1,
        accurate_dispatch_rate=1.0, duplicate_rate=0.0)
    assert values(rows[None]) == expect(  # E duplicate, F solved on the spot, G invalid: no lead department
        reported=3, accepted=1, registered=0, registration_rate=0.0, self_resolved=1, duplicates=1,
        duplicate_rate=0.3333)
    assert values(body["total"]) == STREET_TOTAL


def test_worker_rows(cases, as_user):
    body = get(as_user("street_dispatcher"), group="worker", **period()).json()
    assert [r["key"] for r in body["rows"]] == ["worker_a", "worker_b", None]
    worker_a, worker_b, citizens = body["rows"]
    assert worker_a["name"] == User.objects.get(username="worker_a").full_name
    assert values(worker_a) == {**COMMUNITY_A, **expect(
        reported=7, accepted=6, registered=5, registration_rate=0.8333, dispatched=5, accurately_dispatched=4,
        accurate_dispatch_rate=0.8, handled=3, handled_on_time=2, on_time_handling_rate=0.6667, overdue=2, due=4,
        closed=3, closure_rate=0.75, closed_on_time=2, on_time_closure_rate=0.5, rework=1, self_resolved=1,
        avg_handling_hours=4.0, duplicates=1, duplicate_rate=0.1429, rated=3, satisfied=2,
        satisfaction_rate=0.6667)}
    assert values(worker_b) == ONLY_W
    assert values(citizens) == expect(reported=1, accepted=0, registration_rate=None, duplicate_rate=0.0)
    assert values(body["total"]) == STREET_TOTAL


def test_period_filter(cases, as_user):
    client = as_user("street_dispatcher")
    today = timezone.localdate()
    old = today - dt.timedelta(days=45)
    longer = get(client, date_from=old.isoformat(), date_to=today.isoformat()).json()["total"]
    assert longer["reported"] == 10 and longer["dispatched"] == 7  # X, reported 40 days ago, is in
    Transition.objects.filter(event=cases["B"], action="rework").update(at=timezone.now() - dt.timedelta(days=40))
    short = get(client, **period()).json()
    assert short["total"]["reported"] == 9 and short["total"]["rework"] == 0  # the rework now lies before it
    assert get(client, date_from=old.isoformat(), date_to=today.isoformat()).json()["total"]["rework"] == 1
    before = get(client, date_from=old.isoformat(), date_to=(today - dt.timedelta(days=30)).isoformat()).json()
    assert values(before["total"]) == {**ZERO, **expect(reported=1, accepted=1, registered=1, registration_rate=1.0,
                                                        dispatched=1, accurately_dispatched=1,
                                                        accurate_dispatch_rate=1.0, duplicate_rate=0.0,
                                                        rework=1)}
    assert short["period"]["date_from"] == period()["date_from"]


def test_default_period_is_the_current_month(cases, as_user):
    body = get(as_user("street_dispatcher")).json()
    today = timezone.localdate()
    assert body["period"]["date_from"] == today.replace(day=1).isoformat()
    last = dt.date.fromisoformat(body["period"]["date_to"])
    assert last.month == today.month and (last + dt.timedelta(days=1)).day == 1
    assert dt.datetime.fromisoformat(body["period"]["start"]).utcoffset() == dt.timedelta(hours=8)
    assert body["total"]["reported"] == 9 and body["total"]["self_resolved"] == 1


def test_local_dates_bound_the_period(cases, as_user):
    """A case reported at 23:30 local on the last day is in; at 00:00 the day after is out (Asia/Shanghai)."""
    tz = timezone.get_default_timezone()
    day = timezone.localdate() - dt.timedelta(days=60)
    inside = dt.datetime.combine(day, dt.time(23, 30), tzinfo=tz)
    Event.objects.filter(pk=cases["W"].pk).update(reported_at=inside)
    Event.objects.filter(pk=cases["X"].pk).update(reported_at=inside + dt.timedelta(minutes=30))
    body = get(as_user("street_dispatcher"), date_from=day.isoformat(), date_to=day.isoformat()).json()
    assert body["total"]["reported"] == 1 and body["period"]["end"].endswith("+08:00")


def test_scope_worker_b_sees_none_of_worker_a(cases, as_user, grid_a):
    body = get(as_user("worker_b"), **period()).json()
    assert values(body["total"]) == ONLY_W
    assert get(as_user("worker_b"), group="worker", **period()).json()["rows"][0]["key"] == "worker_b"
    mine = get(as_user("worker_a"), **period()).json()
    assert mine["total"]["reported"] == 8  # grid A's cases, not W
    assert mine["region"]["code"] == grid_a.code  # the worker's own grid: rows are its micro-grids
    sanitation = get(as_user(handler(cases["sanitation"]).username), group="department", **period()).json()
    assert sanitation["total"]["reported"] == 4  # A, B (sent to it, then returned), C, W


def test_rates_are_null_when_nothing_is_counted(cases, as_user):
    body = get(as_user("hotline"), group="department", **period()).json()  # nothing is sent to 12345
    assert body["rows"] == [] and values(body["total"]) == ZERO


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "auditadmin"])
def test_administrators_get_403(as_user, username):
    for url in ("/api/v1/indicators", "/api/v1/indicators.xlsx"):
        response = as_user(username).get(url)
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert "指标" in response.json()["message"]
    assert as_user("anonymous").get("/api/v1/indicators").status_code == 401


@pytest.mark.parametrize("params,status,field,words", [
    ({"group": "street"}, 422, "group", "未知的分组"),
    ({"date_from": "2026-02-30"}, 422, "date_from", "日期"),
    ({"date_to": "yesterday"}, 422, "date_to", "日期"),
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, 422, "date_to", "结束日期"),
    ({"date_from": "1900-01-01"}, 422, "date_from", "日期"),
    ({"region": "999999"}, 404, "region", "区域"),
])
def test_bad_parameters(as_user, params, status, field, words):
    for url in ("/api/v1/indicators", "/api/v1/indicators.xlsx"):
        response = as_user("street_dispatcher").get(url, params)
        assert response.status_code == status, response.content
        body = response.json()
        assert body["field"] == field and words in (body["message"] + str(body.get("details", "")))


def test_region_outside_scope_is_404(as_user, grid_a, user):
    other = user("worker_b").grids.get()
    response = as_user("worker_a").get("/api/v1/indicators", {"region": other.parent.code})
    assert response.status_code == 404 and response.json()["field"] == "region"
    assert as_user("street_dispatcher").get("/api/v1/indicators", {"region": other.code}).status_code == 200


def test_excel_matches_the_json(cases, as_user):
    from openpyxl import load_workbook

    client = as_user("street_dispatcher")
    params = {"group": "department", **period()}
    body = get(client, **params).json()
    response = client.get("/api/v1/indicators.xlsx", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    ascii_name = f"indicators-department-{params['date_from']}-{params['date_to']}.xlsx"
    assert disposition.startswith(f'attachment; filename="{ascii_name}"')
    assert disposition.isascii()
    utf8_name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert utf8_name.endswith(".xlsx") and "指标" in utf8_name and params["date_from"] in utf8_name

    ws = load_workbook(io.BytesIO(response.content)).active
    title = ws["A1"].value
    assert params["date_from"] in title and params["date_to"] in title and body["scope_name"] in title
    headers = [cell.value for cell in ws[3]]
    assert headers[:5] == ["编码", "名称", "上报数", "受理数", "立案数"]
    assert {"立案率", "准确派遣率", "按期处置率", "超期数", "应结案数", "结案率", "按期结案率", "返工数", "自行处置数",
            "平均处置时长（小时）", "重复案件率", "满意率"} <= set(headers)
    assert headers[2:] == [c["label"] for c in body["columns"]]
    assert ws.freeze_panes == "C4"
    table = [[cell.value for cell in row] for row in ws.iter_rows(min_row=4)]
    expected = [[r["key"], r["name"]] + [r[f] for f in FIELDS] for r in body["rows"] + [body["total"]]]
    assert table == expected
    assert table[-1][1] == "合计" and len(table) == len(body["rows"]) + 1
    rate_col = 3 + FIELDS.index("closure_rate")
    assert ws.cell(row=4, column=rate_col).number_format == "0.00%"
    assert ws.cell(row=4, column=3).number_format == "General"


def test_a_handful_of_queries_whatever_the_number_of_cases(cases, as_user, user, grid_a,
                                                           django_assert_max_num_queries):
    client = as_user("street_dispatcher")
    for day in (timezone.localdate(), timezone.localdate() - dt.timedelta(days=1)):
        calendar.is_workday(day)  # the calendar is loaded once per process (and year), not per report
    for group in ("region", "department", "worker"):  # 5 of its own, the rest is the session (read and save)
        with django_assert_max_num_queries(10):
            assert get(client, group=group, **period()).status_code == 200
    dispatcher = user("street_dispatcher")

    def count(group):
        fresh = User.objects.get(pk=dispatcher.pk)
        with CaptureQueriesContext(connection) as queries:
            indicator_report(user=fresh, group=group, **{k: dt.date.fromisoformat(v) for k, v in period().items()})
        return len(queries)

    before = {g: count(g) for g in ("region", "department", "worker")}
    assert all(n <= 5 for n in before.values()), before  # 2 aggregates, the handling times, 2 look-ups
    for i in range(15):
        event = report(user("worker_a"), "0303" if i % 2 else "B102", grid_a)
        if event.status == "dispatched":
            Event.objects.filter(pk=event.pk).update(deadline=timezone.now() - dt.timedelta(minutes=5))
    assert {g: count(g) for g in ("region", "department", "worker")} == before


def test_several_grids_make_one_row_each_and_cases_elsewhere_go_last(cases, as_user, user, grid_a):
    worker_a = user("worker_a")
    elsewhere = Region.objects.filter(parent=grid_a.parent, level="grid", status="active").exclude(pk=grid_a.pk)
    second = elsewhere.order_by("code").first()
    worker_a.grids.add(second)
    report(worker_a, "0302", cases["grid_b"])  # worker A's own report in another community: visible to A
    body = get(as_user("worker_a"), **period()).json()
    assert body["region"] is None and [r["key"] for r in body["rows"]] == [grid_a.code, second.code, None]
    assert [r["reported"] for r in body["rows"]] == [8, 0, 1] and body["total"]["reported"] == 9
    assert body["rows"][-1]["name"] == "其他（不属于以上区域）"
    assert body["scope_name"] == f"{grid_a.name}、{second.name}"


def test_average_handling_time_counts_working_hours_only(user, grid_a, as_user, settings):
    """Office hours 09:00-12:00 and 13:30-17:30 on working days; nights, weekends and holidays do not count."""
    settings.GRIDGOV_OFFICE_HOURS = "09:00-12:00,13:30-17:30"
    assert not any(calendar.is_workday(dt.date(2025, 5, d)) for d in (31,)) and not calendar.is_workday(
        dt.date(2025, 6, 2))  # 端午节 2025: Saturday 31 May to Monday 2 June, all off
    assert calendar.is_workday(dt.date(2025, 5, 30)) and calendar.is_workday(dt.date(2025, 6, 3))
    tz = timezone.get_default_timezone()

    def at(*args):
        return dt.datetime(*args, tzinfo=tz)

    # code: (dispatched, handled, working hours worked out by hand)
    spans = {
        # Friday 16:30 → Monday 10:00: Friday 16:30-17:30 (1 h) + Monday 09:00-10:00 (1 h) = 2.0 (calendar: 65.5 h)
        "0301": (at(2025, 3, 7, 16, 30), at(2025, 3, 10, 10, 0), 2.0),
        # Friday 16:30 → Tuesday 14:00 over 端午: Friday 1 h + Tuesday 09:00-12:00 (3 h) and 13:30-14:00 (0.5 h)
        # = 4.5 (calendar: 93.5 h)
        "0302": (at(2025, 5, 30, 16, 30), at(2025, 6, 3, 14, 0), 4.5),
        # Wednesday 11:00 → 14:00 over the lunch break: 11:00-12:00 + 13:30-14:00 = 1.5 (calendar: 3 h)
        "E101": (at(2025, 3, 12, 11, 0), at(2025, 3, 12, 14, 0), 1.5),
    }
    departments = {}
    for code, (dispatched_at, handled_at, _hours) in spans.items():
        event = report(user("worker_a"), code, grid_a)
        assert event.status == "dispatched", code
        move(handler(event.lead_department), event, "feedback", photo_count=1)
        Event.objects.filter(pk=event.pk).update(reported_at=dispatched_at - dt.timedelta(minutes=5),
                                                 dispatched_at=dispatched_at, handled_at=handled_at)
        departments[code] = event.lead_department.name
    assert departments["0301"] == departments["E101"] != departments["0302"]  # sanitation twice, ecology once

    body = get(as_user("street_dispatcher"), group="department", date_from="2025-03-01", date_to="2025-06-30").json()
    assert body["total"]["handled"] == 3
    assert body["total"]["avg_handling_hours"] == round((2.0 + 4.5 + 1.5) / 3, 2) == 2.67  # calendar hours: 54.0
    rows = {row["name"]: row for row in body["rows"]}
    assert rows[departments["0301"]]["avg_handling_hours"] == (2.0 + 1.5) / 2
    assert rows[departments["0302"]]["avg_handling_hours"] == 4.5
    march = get(as_user("street_dispatcher"), group="department", date_from="2025-03-01", date_to="2025-03-31").json()
    assert march["total"]["handled"] == 2 and march["total"]["avg_handling_hours"] == 1.75
