"""Indicators API: the standard indicators as JSON and as an Excel workbook (same parameters, same numbers)."""

import datetime as dt
import io
from typing import Annotated
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router
from pydantic import Field

from gridgov.common.api_errors import file_answer, responses
from gridgov.events.indicators import indicator_report

router = Router(tags=["indicators"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = 3  # row 1: title, row 2: notes, row 3: column headers
Group = Annotated[str, Field(max_length=16, description="region, department or worker")]
Code = Annotated[str, Field(max_length=32, description="A region's code")]


def _report(request, group, region, date_from, date_to) -> dict:
    return indicator_report(user=request.user, group=group, region=region or None, date_from=date_from,
                            date_to=date_to)


@router.get("/indicators", response=responses(dict, not_found=True),
            summary="Standard indicators per region, department or reporter, with a total")
def indicators(request, group: Group = "region", region: Code | None = None, date_from: dt.date | None = None,
               date_to: dt.date | None = None):
    """``group``: region (children of ``region``, or of your area), department (lead department) or worker
    (reporting account). Dates are local (Asia/Shanghai), both inclusive; the current month by default.
    Rates are fractions (0.5 = 50 %), null when nothing is counted below them. Definitions: docs/indicators.md."""
    return _report(request, group, region, date_from, date_to)


@router.get("/indicators.xlsx", response=responses({200: None}, not_found=True), openapi_extra=file_answer(XLSX),
            summary="The same indicators as an Excel workbook")
def indicators_xlsx(request, group: Group = "region", region: Code | None = None, date_from: dt.date | None = None,
                    date_to: dt.date | None = None):
    report = _report(request, group, region, date_from, date_to)
    response = HttpResponse(workbook_bytes(report), content_type=XLSX)
    period = report["period"]
    ascii_name = f"indicators-{report['group']}-{period['date_from']}-{period['date_to']}.xlsx"
    local_name = _("Case indicators %(group)s %(date_from)s to %(date_to)s") % {
        "group": report["group_label"], "date_from": period["date_from"], "date_to": period["date_to"]}
    response["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                       f"filename*=UTF-8''{quote(local_name + '.xlsx', safe='')}")
    return response


def workbook_bytes(report: dict) -> bytes:
    """One sheet: a title with the period and the scope, a notes line, the headers (frozen), one row per group,
    then the total. Rates are stored as fractions and formatted as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    period = report["period"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Indicators")[:31]
    headers = [_("Code"), _("Name")] + [c["label"] for c in report["columns"]]
    title = _("Case indicators, %(date_from)s to %(date_to)s, %(scope)s, %(group)s") % {
        "date_from": period["date_from"], "date_to": period["date_to"],
        "scope": report["scope_name"], "group": report["group_label"]}
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    as_of = timezone.localtime(dt.datetime.fromisoformat(period["as_of"])).strftime("%Y-%m-%d %H:%M")
    ws.cell(row=2, column=1, value=_("Deadlines counted up to %(as_of)s. Rates are empty when nothing is counted "
                                     "below them.") % {"as_of": as_of}).font = Font(italic=True, color="666666")
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=str(text))
        cell.font, cell.fill = Font(bold=True), fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    kinds = [c["kind"] for c in report["columns"]]
    fields = [c["field"] for c in report["columns"]]
    for offset, row in enumerate(report["rows"] + [report["total"]], start=1):
        r = HEADER_ROW + offset
        ws.cell(row=r, column=1, value=row["key"])
        ws.cell(row=r, column=2, value=row["name"])
        for col, (field, kind) in enumerate(zip(fields, kinds), start=3):
            cell = ws.cell(row=r, column=col, value=row[field])
            if kind == "rate":
                cell.number_format = "0.00%"
            elif kind == "hours":
                cell.number_format = "0.00"
    for col in range(1, ws.max_column + 1):
        cell = ws.cell(row=HEADER_ROW + len(report["rows"]) + 1, column=col)
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 28
    for col in range(3, len(headers) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 11
    ws.row_dimensions[HEADER_ROW].height = 32
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)  # headers and the name columns stay in view
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["router", "workbook_bytes"]
