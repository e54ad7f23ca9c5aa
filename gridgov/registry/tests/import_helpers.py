"""Helpers of the Excel import tests: valid identity numbers, filled templates, running a job to its end."""

import io
import random

from openpyxl import Workbook, load_workbook

from gridgov.registry.idcard import check_digit


def make_id(n: int, *, year: int = 1985, area: str = "110105") -> str:
    """A valid 18-digit identity number, distinct for each n (sequence digits and birth day vary)."""
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    seq = f"{(n // 336) % 1000:03d}"
    first17 = f"{area}{year + (n // 336000) % 30}{month:02d}{day:02d}{seq}"
    return first17 + check_digit(first17)


def make_phone(n: int) -> str:
    return f"139{n % 100_000_000:08d}"


def wrong_check_digit(number: str) -> str:
    digits = "0123456789X"
    return number[:17] + next(d for d in digits if d != number[17])


def fill(template: bytes, rows: list[dict]) -> bytes:
    """The template with rows appended to its 数据 sheet; each row maps Chinese headers to values."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb["数据"]
    headers = [c.value for c in ws[1]]
    for row in rows:
        unknown = set(row) - set(headers)
        assert not unknown, unknown
        ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def plain_workbook(headers: list[str], rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_sheet(data: bytes, sheet: str | None = None) -> list[list]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def person_row(n: int, grid_code: str, **extra) -> dict:
    row = {"姓名": f"测试{n}", "证件号码": make_id(n), "人口类型": "户籍人口", "网格编码": grid_code,
           "联系电话": make_phone(n)}
    row.update(extra)
    return row


def shuffled(rows, seed=1):
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    return rows


def xlsx_text(data: bytes) -> str:
    """Every XML part of a workbook as one text (to grep for numbers that must not be there)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def people_file(grid_code: str, n: int, *, start: int = 500_000) -> tuple[bytes, list[str], int]:
    """A people workbook of ``n`` rows written in write-only mode (fast for tens of thousands of rows): every 97th row
    has a wrong check digit and every 211th repeats the row before it. Returns the file, the identity numbers of
    the valid rows, and how many rows are bad."""
    from gridgov.registry.excel import LAYOUTS

    headers = [c.header for c in LAYOUTS["people"].columns]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    ws.append(headers)
    valid, bad, previous = [], 0, None
    for i in range(n):
        row = person_row(start + i, grid_code)
        if i % 97 == 50:
            row["证件号码"] = wrong_check_digit(row["证件号码"])
            bad += 1
        elif i % 211 == 100 and previous is not None:
            row = dict(previous)
            bad += 1
        else:
            valid.append(row["证件号码"])
        previous = row
        ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), valid, bad
