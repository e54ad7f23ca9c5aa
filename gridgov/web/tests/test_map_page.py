"""The map's history picker stops at today in Asia/Shanghai, as the server sees it (not the browser's clock, whose
UTC date is still yesterday before 08:00)."""

import datetime as dt
import zoneinfo

import pytest

pytestmark = pytest.mark.django_db


def test_the_history_picker_stops_at_the_local_today(as_user, time_machine):
    time_machine.move_to(dt.datetime(2027, 3, 1, 0, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))  # UTC: 28 Feb
    body = as_user("street_dispatcher").get("/map/").content.decode()
    assert 'id="as-of" max="2027-03-01"' in body
