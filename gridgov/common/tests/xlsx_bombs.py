"""Hostile .xlsx files, built on the spot (tests and ``python -m bench xlsx-bomb``): a real workbook whose first
sheet holds one cell of ``unpacked_mb`` MiB of "A" streamed through zipfile (a ~1 MB file for 1 GiB), the same file
with headers that lie about the sheet's size, and archives with too many members."""

import struct
import zipfile
from pathlib import Path

MIB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} xmlns:r="{_REL}"><sheets>'
        '<sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>'),
}
SHEET_HEAD = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><sheetData><row r="1">'
              '<c r="A1" t="inlineStr"><is><t>').encode()
SHEET_TAIL = b"</t></is></c></row></sheetData></worksheet>"


def bomb(path: Path, *, unpacked_mb: int = 1024) -> Path:
    """A valid workbook whose sheet is ``unpacked_mb`` MiB: one header cell of "A"s, streamed into the archive a
    MiB at a time (deflate level 9: about 1 MB on disk for 1 GiB). Without a guard, reading its first row builds
    that whole string in memory."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        block = b"A" * MIB
        with archive.open(SHEET, "w") as sheet:
            sheet.write(SHEET_HEAD)
            for _ in range(unpacked_mb):
                sheet.write(block)
            sheet.write(SHEET_TAIL)
    return path


def lying(source: Path, path: Path, *, declared: int = 100_000) -> Path:
    """The same archive with the sheet's uncompressed size set to ``declared`` in its local header and in the
    central directory, as a bomb that hopes to pass a check of the declared sizes."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo(SHEET)
    local = info.header_offset
    assert data[local:local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, declared)  # local file header: uncompressed size
    name = SHEET.encode()
    central = data.rfind(b"PK\x01\x02", 0, len(data))
    while central != -1 and data[central + 46:central + 46 + len(name)] != name:
        central = data.rfind(b"PK\x01\x02", 0, central)
    assert central != -1
    struct.pack_into("<I", data, central + 24, declared)  # central directory: uncompressed size
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(SHEET).file_size == declared
    return path


def many_members(path: Path, *, count: int) -> Path:
    """A valid workbook with ``count`` extra empty members (each costs memory when the directory is read)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        archive.writestr(SHEET, SHEET_HEAD + b"x" + SHEET_TAIL)
        for n in range(count):
            archive.writestr(f"x/{n}", b"")
    return path


def small(path: Path, text: str = "姓名") -> Path:
    """A valid one-cell workbook (the bomb's shape, harmless), to show the guard passes real files."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, part in PARTS.items():
            archive.writestr(name, part)
        archive.writestr(SHEET, SHEET_HEAD + text.encode() + SHEET_TAIL)
    return path


# ======================================================================================================================
# Memory of a process that reads one of these files: ``python -m gridgov.common.tests.xlsx_bombs READER FILE``
# ======================================================================================================================
READERS = ("xlsx", "registry", "taxonomy")
CAP_BYTES = 4 * 1024 * MIB  # address-space cap of the measuring process: an unguarded reader stops here


def _read(reader: str, path: Path) -> str:
    """Read the file as the upload does; returns the outcome (the refusal's code, or "read")."""
    from gridgov.common.errors import ValidationFailed

    try:
        if reader == "xlsx":
            from gridgov.common.xlsx import xlsx_open

            with open(path, "rb") as fileobj:
                workbook = xlsx_open(fileobj)
                for _row in workbook.worksheets[0].iter_rows(max_row=1, values_only=True):
                    pass
                workbook.close()
        elif reader == "registry":  # the web upload (import_job_create) and the worker's job open it this way
            from gridgov.registry.excel import LAYOUTS
            from gridgov.registry.imports import open_sheet

            with open(path, "rb") as fileobj:
                open_sheet(fileobj, LAYOUTS["people"]).workbook.close()
        else:  # the admin's taxonomy import (the upload's bytes)
            from gridgov.events.taxonomy_excel import taxonomy_import

            taxonomy_import(actor=None, data=path.read_bytes())
    except ValidationFailed as exc:
        return f"refused ({exc.code or 'invalid'}): {exc.message}"
    except MemoryError:
        return f"MemoryError at the {CAP_BYTES // MIB} MiB address-space cap"
    return "read"


def _child(reader: str, path: Path) -> dict:
    import json
    import resource
    import sys
    import time

    import django

    django.setup()
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))
    warm = path.with_name(path.name + ".warm.xlsx")
    small(warm)
    _read(reader, warm)  # imports and first-use caches are in the baseline, not in the growth
    warm.unlink()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    outcome = _read(reader, path)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"reader": reader, "file_bytes": path.stat().st_size, "maxrss_before_kb": before,
              "maxrss_after_kb": after, "growth_kb": after - before, "seconds": round(seconds, 3),
              "outcome": outcome}
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return result


def measure(reader: str, path: Path, *, env: dict | None = None, timeout: float = 600) -> dict:
    """Run ``_child`` in a fresh interpreter (so the peak RSS is this read's alone) and return its figures."""
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **(env or {})}
    done = subprocess.run([sys.executable, "-m", "gridgov.common.tests.xlsx_bombs", reader, str(path)], cwd=root,
                          env=environment, capture_output=True, text=True, timeout=timeout, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    import sys

    _child(sys.argv[1], Path(sys.argv[2]))
