"""Bounded input types for the API: ids, counts and pages that both SQLite and PostgreSQL integer columns hold, and
dates within a sensible span, so a huge or negative number or the year 1 is a 422 that names the field, never a
database or calendar error."""

import datetime as dt
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Schema
from ninja.pagination import PageNumberPagination
from pydantic import AfterValidator, Field

MAX_ID = 2**31 - 1  # the largest value of an integer column (PostgreSQL integer; SQLite takes 64 bits)
MAX_COUNT = 2**31 - 1  # households, population, employees, members …
MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
MAX_IDS = 100  # a list of ids in one request (photos have their own, smaller limits)

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="A record's id")]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="The version you saw; a stale one gets 409")]

FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2099, 12, 31)  # birth dates … deadlines


def in_span(value):
    """A date (or a date and time) between FIRST_DAY and LAST_DAY: far dates overflow time-zone and calendar
    arithmetic."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(_("Dates must lie between %(first)s and %(last)s.")
                         % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
    return value


_SPAN = f"{FIRST_DAY.isoformat()} … {LAST_DAY.isoformat()}"
Date = Annotated[dt.date, AfterValidator(in_span), Field(description=f"A date, {_SPAN}")]
DateTime = Annotated[dt.datetime, AfterValidator(in_span),
                     Field(description=f"ISO 8601, with an offset (else Asia/Shanghai), {_SPAN}")]


class Page(PageNumberPagination):
    """``?page=`` (1 … 100,000) and ``?page_size=`` (1 … 100): out of range is a 422, not a silent cap or a database
    error."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, page_size: int = 50, **kwargs):
        super().__init__(page_size=page_size, max_page_size=MAX_PAGE_SIZE, **kwargs)
