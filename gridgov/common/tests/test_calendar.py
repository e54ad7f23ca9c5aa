"""The working-time calendar behind event deadlines: Chinese public holidays and swapped workdays (调休) from the
bundled chinese_calendar data, administrators' overrides and later years, office hours from the settings.

Dates used (chinese_calendar 1.11, State Council schedules for 2025 and 2026):
  2026 Spring Festival  Feb 15 (Sun) – Feb 23 (Mon) off; Sat Feb 14 and Sat Feb 28 are swapped workdays
  2026 Tomb-sweeping    Apr 4 (Sat) – Apr 6 (Mon) off
  2026 Labour Day       May 1 (Fri) – May 5 (Tue) off; Sat May 9 is a swapped workday
  2026 National Day     Oct 1 (Thu) – Oct 7 (Wed) off; Sat Oct 10 is a swapped workday
  2025 National Day     Sun Sep 28 is a swapped workday
  2026-03-06 is an ordinary Friday.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from gridgov.common import calendar
from gridgov.common.calendar import (
    Deadline,
    TimeUnit,
    deadline_after,
    is_workday,
    working_hours_between,
)
from gridgov.common.models import AuditLog, CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKDAY, WORKHOUR = TimeUnit.WORKDAY, TimeUnit.WORKHOUR


def at(y, mo, d, h=10, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def close(y, mo, d) -> datetime:
    return at(y, mo, d, 17, 30)


# --- the bundled Chinese calendar ---------------------------------------------------------------------------------

def test_library_years_come_from_the_chinese_calendar_data():
    assert {2004, 2025, 2026} <= calendar.LIBRARY_YEARS
    assert 2027 not in calendar.LIBRARY_YEARS and 2003 not in calendar.LIBRARY_YEARS
    assert calendar.year_is_known(2026) and calendar.year_is_known(2004)
    assert not calendar.year_is_known(2027) and not calendar.year_is_known(2003)


@pytest.mark.parametrize("day, working", [
    (date(2026, 10, 1), False), (date(2026, 10, 5), False), (date(2026, 10, 7), False),  # National Day (Mon, Wed)
    (date(2026, 10, 8), True), (date(2026, 10, 10), True),  # back to work; Saturday 调休
    (date(2026, 2, 16), False), (date(2026, 2, 23), False),  # Spring Festival Monday to Monday
    (date(2026, 2, 14), True), (date(2026, 2, 28), True),  # Saturdays 调休
    (date(2025, 9, 28), True),  # Sunday 调休
    (date(2026, 3, 6), True), (date(2026, 3, 7), False), (date(2026, 3, 8), False),  # an ordinary week-end
])
def test_is_workday_follows_the_state_council_schedule(day, working):
    assert is_workday(day) is working


def test_national_day_2026_is_skipped():
    assert deadline_after(at(2026, 9, 30), 1, WORKDAY) == Deadline(close(2026, 10, 8), False)
    assert deadline_after(at(2026, 9, 30), 3, WORKDAY).due == close(2026, 10, 10)  # Saturday 调休 counts


def test_spring_festival_2026_is_skipped():
    # Fri Feb 13 → Sat Feb 14 (调休, 1) → Feb 15–23 off → Tue Feb 24 (2)
    assert deadline_after(at(2026, 2, 13), 2, WORKDAY).due == close(2026, 2, 24)
    assert deadline_after(at(2026, 2, 14), 1, WORKDAY).due == close(2026, 2, 24)


@pytest.mark.parametrize("start, due", [
    (at(2026, 2, 27), close(2026, 2, 28)),  # Friday → Saturday 调休
    (at(2025, 9, 26), close(2025, 9, 28)),  # Friday → Sunday 调休 (Saturday Sep 27 is off)
])
def test_a_swapped_weekend_workday_counts(start, due):
    assert start.weekday() == 4 and due.weekday() in (5, 6)
    assert deadline_after(start, 1, WORKDAY).due == due


def test_friday_plus_one_working_day_is_monday_close():
    assert deadline_after(at(2026, 3, 6), 1, WORKDAY) == Deadline(close(2026, 3, 9), estimated=False)


def test_the_starting_day_never_counts_whatever_the_time():
    for hour in (0, 8, 10, 17, 23):
        assert deadline_after(at(2026, 3, 9, hour), 1, WORKDAY).due == close(2026, 3, 10)
    assert deadline_after(at(2026, 3, 7), 1, WORKDAY).due == close(2026, 3, 9)  # from a Saturday


def test_friday_plus_one_working_day_skips_a_monday_holiday():
    assert deadline_after(at(2026, 4, 3), 1, WORKDAY).due == close(2026, 4, 7)  # Mon Apr 6 is Tomb-sweeping Day


def test_across_a_holiday_week():
    # Thu Apr 30 → May 1–5 off → Wed May 6 (1), Thu May 7 (2), Fri May 8 (3), Sat May 9 调休 (4), Mon May 11 (5)
    start = at(2026, 4, 30)
    assert [deadline_after(start, n, WORKDAY).due for n in range(1, 6)] == [
        close(2026, 5, 6), close(2026, 5, 7), close(2026, 5, 8), close(2026, 5, 9), close(2026, 5, 11)]
    # 10 working hours from Thu Apr 30 16:30: 1 h that day, then 7 h on May 6, the last 2 h on May 7
    assert deadline_after(at(2026, 4, 30, 16, 30), 10, WORKHOUR).due == at(2026, 5, 7, 11, 0)


def test_the_result_is_aware_local_time_whatever_the_zone_of_the_start():
    start_utc = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    due = deadline_after(start_utc, 1, WORKDAY).due
    assert due == close(2026, 3, 9) and due.utcoffset() == timedelta(hours=8)
    # Thursday 20:00 UTC is Friday 04:00 in Shanghai: the start's day is the local Friday
    assert deadline_after(datetime(2026, 3, 5, 20, 0, tzinfo=UTC), 1, WORKDAY).due == close(2026, 3, 9)


# --- working hours ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, hours, due", [
    (at(2026, 3, 6, 10), 1, at(2026, 3, 6, 11)),  # within the morning
    (at(2026, 3, 6, 11, 30), 1, at(2026, 3, 6, 14, 0)),  # across the lunch break
    (at(2026, 3, 6, 11, 45), Decimal("0.5"), at(2026, 3, 6, 13, 45)),  # a fraction across lunch
    (at(2026, 3, 6, 11, 30), 0.5, at(2026, 3, 6, 12, 0)),  # used up exactly at noon: due at noon
    (at(2026, 3, 6, 16, 30), 1, at(2026, 3, 6, 17, 30)),  # used up exactly at closing: due at closing
    (at(2026, 3, 5, 17, 0), 1, at(2026, 3, 6, 9, 30)),  # overnight
    (at(2026, 3, 6, 17, 0), 1, at(2026, 3, 9, 9, 30)),  # over the weekend
    (at(2026, 3, 6, 10), 7, at(2026, 3, 9, 10, 0)),  # 6 h on Friday, 1 h on Monday
    (at(2026, 3, 6, 10), 100, at(2026, 3, 26, 12, 0)),  # 6 h + 13 full days (91 h) + 3 h
    (at(2026, 9, 30, 17), 1, at(2026, 10, 8, 9, 30)),  # over National Day
])
def test_working_hours(start, hours, due):
    assert deadline_after(start, hours, WORKHOUR) == Deadline(due, estimated=False)


@pytest.mark.parametrize("start, hours, due", [
    (at(2026, 3, 9, 7, 0), 1, at(2026, 3, 9, 10, 0)),  # before opening
    (at(2026, 3, 9, 12, 30), Decimal("0.5"), at(2026, 3, 9, 14, 0)),  # during the lunch break
    (at(2026, 3, 9, 12, 0), 1, at(2026, 3, 9, 14, 30)),  # exactly at noon
    (at(2026, 3, 9, 20, 0), 2, at(2026, 3, 10, 11, 0)),  # in the evening
    (at(2026, 3, 7, 8, 0), 2, at(2026, 3, 9, 11, 0)),  # on a Saturday
    (at(2026, 10, 3, 9, 0), 1, at(2026, 10, 8, 10, 0)),  # on a holiday
    (at(2026, 2, 28, 8, 0), 1, at(2026, 2, 28, 10, 0)),  # on a Saturday 调休: it is a working day
])
def test_a_start_outside_office_hours_begins_at_the_next_opening(start, hours, due):
    assert deadline_after(start, hours, WORKHOUR).due == due


@pytest.mark.parametrize("start, end, hours", [
    (at(2026, 3, 6, 16), at(2026, 3, 9, 10), 2.5),  # across a weekend
    (at(2026, 3, 6, 0), at(2026, 3, 9, 0), 7.0),  # a whole Friday, nothing on the weekend
    (at(2026, 3, 6, 11), at(2026, 3, 6, 14), 1.5),  # across lunch
    (at(2026, 9, 30, 16), at(2026, 10, 8, 10), 2.5),  # across National Day
    (at(2026, 3, 7, 9), at(2026, 3, 8, 17), 0.0),  # a weekend only
    (at(2026, 3, 9, 10), at(2026, 3, 9, 10), 0.0),  # no time
    (at(2026, 3, 9, 10), at(2026, 3, 6, 10), 0.0),  # end before start
])
def test_working_hours_between(start, end, hours):
    assert working_hours_between(start, end) == pytest.approx(hours)


@pytest.mark.parametrize("start", [at(2026, 3, 6, 11, 17), at(2026, 9, 29, 8), at(2026, 2, 13, 15, 45)])
@pytest.mark.parametrize("hours", [Decimal("0.25"), 1, 3, 7, 11, 40])
def test_working_hours_between_a_start_and_its_deadline_is_the_limit(start, hours):
    assert working_hours_between(start, deadline_after(start, hours, WORKHOUR).due) == pytest.approx(float(hours))


# --- later years, administrators' entries ---------------------------------------------------------------------------

def test_a_year_chinese_calendar_does_not_know_is_estimated_from_weekdays():
    assert not calendar.year_is_known(2027)
    assert is_workday(date(2027, 2, 8)) and not is_workday(date(2027, 2, 6))  # Monday, Saturday
    assert deadline_after(at(2027, 2, 5), 1, WORKDAY) == Deadline(close(2027, 2, 8), estimated=True)
    assert deadline_after(at(2027, 2, 5, 17), 1, WORKHOUR) == Deadline(at(2027, 2, 8, 9, 30), estimated=True)
    # a deadline that only reaches into the unknown year is estimated too; one in a known year is not
    assert deadline_after(at(2026, 12, 31), 1, WORKDAY) == Deadline(close(2027, 1, 1), estimated=True)
    assert deadline_after(at(2026, 12, 30), 1, WORKDAY).estimated is False


def test_an_entered_and_published_2027_is_exact(django_capture_on_commit_callbacks):
    start = at(2027, 2, 5)
    assert deadline_after(start, 1, WORKDAY) == Deadline(close(2027, 2, 8), estimated=True)  # 2027 is now cached

    with django_capture_on_commit_callbacks(execute=True):
        CalendarYear.objects.create(year=2027, published=True, note="国办发明电〔2026〕")
        CalendarDay.objects.create(date=date(2027, 2, 8), kind=CalendarDay.Kind.HOLIDAY, name="春节")

    assert calendar.year_is_known(2027) and not is_workday(date(2027, 2, 8))
    assert deadline_after(start, 1, WORKDAY) == Deadline(close(2027, 2, 9), estimated=False)


def test_an_unpublished_year_stays_estimated_even_with_entries(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        CalendarYear.objects.create(year=2027, published=False)
        CalendarDay.objects.create(date=date(2027, 2, 8), kind=CalendarDay.Kind.HOLIDAY, name="春节")
    assert deadline_after(at(2027, 2, 5), 1, WORKDAY) == Deadline(close(2027, 2, 9), estimated=True)


def test_an_administrators_entry_wins_over_chinese_calendar(django_capture_on_commit_callbacks):
    assert is_workday(date(2026, 10, 8)) and not is_workday(date(2026, 10, 3))
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=date(2026, 10, 8), kind=CalendarDay.Kind.HOLIDAY, name="国庆节（延长）")
        CalendarDay.objects.create(date=date(2026, 10, 3), kind=CalendarDay.Kind.WORKDAY, name="调休")
    assert not is_workday(date(2026, 10, 8)) and is_workday(date(2026, 10, 3))
    assert deadline_after(at(2026, 9, 30), 1, WORKDAY).due == close(2026, 10, 3)
    assert deadline_after(at(2026, 10, 7), 1, WORKDAY).due == close(2026, 10, 9)


def test_the_cache_is_cleared_on_commit_of_a_change_or_a_deletion(django_capture_on_commit_callbacks):
    assert is_workday(date(2026, 3, 9))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        day = CalendarDay.objects.create(date=date(2026, 3, 9), kind=CalendarDay.Kind.HOLIDAY)
    assert is_workday(date(2026, 3, 9)), "cleared before the commit"
    for callback in callbacks:
        callback()
    assert not is_workday(date(2026, 3, 9))

    with django_capture_on_commit_callbacks(execute=True):
        day.kind = CalendarDay.Kind.WORKDAY
        day.save()
    assert is_workday(date(2026, 3, 9))
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=date(2026, 3, 7), kind=CalendarDay.Kind.WORKDAY)
    assert is_workday(date(2026, 3, 7))
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.filter(date=date(2026, 3, 7)).get().delete()
    assert not is_workday(date(2026, 3, 7))


def test_a_cached_year_is_reloaded_after_the_cache_lifetime(monkeypatch):
    """Other processes do not see the signal: they reload a year after CACHE_SECONDS."""
    assert is_workday(date(2026, 3, 9))
    CalendarDay.objects.create(date=date(2026, 3, 9), kind=CalendarDay.Kind.HOLIDAY)  # no commit: cache kept
    assert is_workday(date(2026, 3, 9))
    monkeypatch.setattr(calendar, "CACHE_SECONDS", -1)
    assert not is_workday(date(2026, 3, 9))


def test_deadlines_need_no_query_once_a_year_is_loaded(django_assert_num_queries):
    deadline_after(at(2026, 3, 6), 1, WORKDAY)
    with django_assert_num_queries(0):
        deadline_after(at(2026, 3, 6), 5, WORKDAY)
        deadline_after(at(2026, 9, 30, 17), 10, WORKHOUR)
        working_hours_between(at(2026, 1, 5), at(2026, 12, 31))
    with django_assert_num_queries(2):  # CalendarDay rows and the CalendarYear row of 2027
        deadline_after(at(2026, 12, 31), 1, WORKDAY)


# --- arguments and settings ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, unit", [
    (0, WORKDAY), (-1, WORKDAY), (0, WORKHOUR), (Decimal("0"), WORKHOUR), (-0.5, WORKHOUR),
    (Decimal("1.5"), WORKDAY), (1.5, WORKDAY), (float("nan"), WORKHOUR), (Decimal("Infinity"), WORKHOUR),
    (1, "day"), (1, "WORKDAY"),
])
def test_a_bad_amount_or_unit_is_refused(amount, unit):
    with pytest.raises(ValueError):
        deadline_after(at(2026, 3, 6), amount, unit)


def test_unit_strings_and_choices_are_both_accepted_and_naive_datetimes_are_refused():
    assert deadline_after(at(2026, 3, 6), 1, "workday") == deadline_after(at(2026, 3, 6), 1, WORKDAY)
    assert deadline_after(at(2026, 3, 6), Decimal("2"), "workhour").due == at(2026, 3, 6, 12)
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_after(datetime(2026, 3, 6, 10), 1, WORKDAY)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_hours_between(at(2026, 3, 6), datetime(2026, 3, 9, 10))
    assert {str(label) for label in TimeUnit.labels} == {"工作日", "工作时"}


def test_office_hours_come_from_the_setting(settings):
    assert calendar.office_hours() == ((time(9), time(12)), (time(13, 30), time(17, 30)))
    settings.GRIDGOV_OFFICE_HOURS = "08:30-12:00, 14:00-18:00"
    assert calendar.office_hours() == ((time(8, 30), time(12)), (time(14), time(18)))
    assert deadline_after(at(2026, 3, 6), 1, WORKDAY).due == at(2026, 3, 9, 18, 0)
    assert deadline_after(at(2026, 3, 6, 11, 30), 1, WORKHOUR).due == at(2026, 3, 6, 14, 30)
    assert working_hours_between(at(2026, 3, 6, 0), at(2026, 3, 7, 0)) == 7.5
    settings.GRIDGOV_OFFICE_HOURS = "00:00-24:00"
    assert deadline_after(at(2026, 3, 6, 23), 2, WORKHOUR).due == at(2026, 3, 9, 1, 0)


@pytest.mark.parametrize("raw", [
    "", " ", "9:00-12:00", "09:00-12:00;13:30-17:30", "09:00 - 12:00", "09:00-12:00,", "12:00-09:00",
    "09:00-09:00", "09:00-12:00,11:00-17:30", "13:30-17:30,09:00-12:00", "25:00-26:00", "09:60-10:00",
    "09:00-24:30", "nine to five",
])
def test_a_bad_office_hours_setting_stops_with_a_clear_message(settings, raw):
    calendar._parse_office_hours.cache_clear()
    settings.GRIDGOV_OFFICE_HOURS = raw
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_OFFICE_HOURS="):
        calendar.office_hours()
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_OFFICE_HOURS="):
        deadline_after(at(2026, 3, 6), 1, WORKHOUR)
    with pytest.raises(ImproperlyConfigured, match="HH:MM"):  # the start-up check
        apps.get_app_config("common").ready()


# --- the admin ----------------------------------------------------------------------------------------------------

ADD_FORM = {"date": "2027-02-08", "kind": "holiday", "name": "春节", "note": "国办发明电"}


def test_sysadmin_adds_a_calendar_day_in_the_admin(as_user, django_capture_on_commit_callbacks):
    assert is_workday(date(2027, 2, 8))
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user("sysadmin").post("/admin/common/calendarday/add/", ADD_FORM)

    assert response.status_code == 302, response.content.decode()[:2000]
    day = CalendarDay.objects.get(date=date(2027, 2, 8))
    assert (day.kind, day.name) == (CalendarDay.Kind.HOLIDAY, "春节")
    assert not is_workday(date(2027, 2, 8))
    entry = AuditLog.objects.get(action="admin.create", object_type="common.calendarday")
    assert (entry.actor_name, entry.object_id) == ("sysadmin", str(day.pk))
    assert entry.detail["changes"]["date"] == {"before": None, "after": "2027-02-08"}


def test_sysadmin_publishes_a_year_and_may_delete_a_mistaken_day(as_user, django_capture_on_commit_callbacks):
    client = as_user("sysadmin")
    day = CalendarDay.objects.create(date=date(2027, 2, 9), kind=CalendarDay.Kind.HOLIDAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/admin/common/calendaryear/add/", {"year": "2027", "published": "on"}).status_code == 302
        assert client.post(f"/admin/common/calendarday/{day.pk}/delete/", {"post": "yes"}).status_code == 302
    assert calendar.year_is_known(2027) and is_workday(date(2027, 2, 9))
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    assert {("admin.create", "common.calendaryear"), ("admin.delete", "common.calendarday")} <= set(
        AuditLog.objects.values_list("action", "object_type"))


def test_the_admin_refuses_a_duplicate_date_and_a_year_out_of_range(as_user):
    client = as_user("sysadmin")
    CalendarDay.objects.create(date=date(2027, 2, 8), kind=CalendarDay.Kind.HOLIDAY)
    assert client.post("/admin/common/calendarday/add/", ADD_FORM).status_code == 200  # the form with an error
    assert client.post("/admin/common/calendaryear/add/", {"year": "1999"}).status_code == 200
    assert CalendarDay.objects.count() == 1 and not CalendarYear.objects.exists()


def test_the_admin_lists_days_by_kind_and_year(as_user):
    CalendarDay.objects.create(date=date(2027, 2, 8), kind=CalendarDay.Kind.HOLIDAY, name="春节甲")
    CalendarDay.objects.create(date=date(2027, 2, 20), kind=CalendarDay.Kind.WORKDAY, name="调休乙")
    CalendarDay.objects.create(date=date(2028, 1, 3), kind=CalendarDay.Kind.HOLIDAY, name="元旦丙")
    client = as_user("sysadmin")
    page = client.get("/admin/common/calendarday/?kind=holiday&year=2027").content.decode()
    assert "春节甲" in page and "调休乙" not in page and "元旦丙" not in page
    page = client.get("/admin/common/calendarday/?date__year=2028").content.decode()
    assert "元旦丙" in page and "春节甲" not in page


@pytest.mark.parametrize("page", ["/admin/common/calendarday/", "/admin/common/calendaryear/"])
def test_secadmin_neither_sees_nor_changes_the_calendar(as_user, page):
    day = CalendarDay.objects.create(date=date(2027, 2, 8), kind=CalendarDay.Kind.HOLIDAY, name="春节")
    client = as_user("secadmin")
    assert client.get(page).status_code == 403
    assert client.get(f"{page}add/").status_code == 403
    assert client.post("/admin/common/calendarday/add/", {**ADD_FORM, "date": "2027-02-10"}).status_code == 403
    assert client.post(f"/admin/common/calendarday/{day.pk}/change/", {**ADD_FORM, "kind": "workday"}).status_code \
        == 403
    assert client.post(f"/admin/common/calendarday/{day.pk}/delete/", {"post": "yes"}).status_code == 403
    assert list(CalendarDay.objects.values_list("date", "kind")) == [(date(2027, 2, 8), "holiday")]


@pytest.mark.parametrize("page", ["/admin/common/calendarday/", "/admin/common/calendaryear/"])
def test_auditadmin_and_others_do_not_see_the_calendar(as_user, page):
    assert as_user("auditadmin").get(page).status_code == 403
    assert 'href="/admin/common/calendarday/"' not in as_user("auditadmin").get("/admin/").content.decode()
    assert 'href="/admin/common/calendarday/"' in as_user("sysadmin").get("/admin/").content.decode()
    response = as_user("worker_a").get(page)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert as_user("worker_a").post("/admin/common/calendarday/add/", ADD_FORM).status_code == 302
    assert not CalendarDay.objects.exists()
