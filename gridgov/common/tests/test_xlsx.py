"""Uploaded workbooks are opened only through ``gridgov.common.xlsx``: judged by what the zip really unpacks to, so a
1 MB zip bomb (an .xlsx whose sheet unpacks to 1 GiB) is refused with a clear message, in constant memory, by every
import, whatever its headers declare."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from gridgov.common import xlsx
from gridgov.common.errors import ValidationFailed
from gridgov.common.tests import xlsx_bombs
from gridgov.common.xlsx import xlsx_check, xlsx_open

ROOT = Path(__file__).resolve().parents[3]
MIB = 1024 * 1024
FEW_MB_KB = 5 * 1024  # "a few MB": the most a refusal may grow the reading process


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    """The 1 GiB bomb (about 1 MB on disk) and its lying twin, built once for the module (~6 s)."""
    folder = tmp_path_factory.mktemp("bombs")
    honest = xlsx_bombs.bomb(folder / "bomb.xlsx", unpacked_mb=1024)
    return {"honest": honest, "lying": xlsx_bombs.lying(honest, folder / "lying.xlsx")}


def refused(source, **kwargs) -> ValidationFailed:
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as info:
        xlsx_open(source, **kwargs)
    assert info.value.field == (kwargs.get("field") or "file")
    assert re.search(r"[\u4e00-\u9fff]", str(info.value.message)), info.value.message  # the reason, in Chinese
    return info.value


def test_a_real_workbook_opens(tmp_path):
    from openpyxl import Workbook

    workbook = xlsx_open(xlsx_bombs.small(tmp_path / "ok.xlsx").read_bytes())
    assert list(workbook.worksheets[0].iter_rows(values_only=True)) == [("姓名",)]
    workbook.close()
    with open(tmp_path / "ok.xlsx", "rb") as fileobj:  # a file object too, left at its start
        assert xlsx_check(fileobj) > 0 and fileobj.tell() == 0
    written = Workbook()
    written.active.title = "数据"
    for n in range(2000):
        written.active.append([f"居民{n}", n, 3.5, "幸福路"])
    buf = io.BytesIO()
    written.save(buf)
    opened = xlsx_open(buf.getvalue())
    assert opened.sheetnames == ["数据"] and len(list(opened["数据"].iter_rows(values_only=True))) == 2000
    opened.close()


def test_the_bomb_is_1_mb_on_disk_and_1_gib_unpacked(bombs):
    assert bombs["honest"].stat().st_size < 2 * MIB
    with zipfile.ZipFile(bombs["honest"]) as archive:
        assert archive.getinfo(xlsx_bombs.SHEET).file_size > 1024 * MIB
    with zipfile.ZipFile(bombs["lying"]) as archive:
        assert archive.getinfo(xlsx_bombs.SHEET).file_size == 100_000


@pytest.mark.parametrize("variant, code", [("honest", "too_large"), ("lying", "not_xlsx")])
def test_zip_bombs_are_refused_with_a_reason(bombs, variant, code):
    error = refused(bombs[variant].read_bytes())
    assert error.code == code
    if variant == "honest":
        assert "500 MB" in str(error.message)


@pytest.mark.parametrize("reader", ["registry", "taxonomy"])
@pytest.mark.parametrize("variant", ["honest", "lying"])
def test_refusing_a_zip_bomb_costs_a_few_mb_at_most(bombs, reader, variant):
    """Measured in a fresh process (its peak RSS before and after the read): without the guard the 1 GiB bomb grew
    either reader by about 2 GB (docs/reliability.md)."""
    figures = xlsx_bombs.measure(reader, bombs[variant])
    assert figures["outcome"].startswith("refused"), figures
    assert figures["growth_kb"] <= FEW_MB_KB, figures


def test_the_limit_is_the_setting(tmp_path, settings):
    bomb = xlsx_bombs.bomb(tmp_path / "b.xlsx", unpacked_mb=8)  # under the ratio floor: only the size can refuse it
    settings.GRIDGOV_XLSX_MAX_UNPACKED_BYTES = 4 * MIB
    error = refused(bomb.read_bytes())
    assert error.code == "too_large" and "4 MB" in str(error.message)
    settings.GRIDGOV_XLSX_MAX_UNPACKED_BYTES = 16 * MIB
    xlsx_open(bomb.read_bytes()).close()


def test_a_member_far_beyond_its_packed_size_is_a_bomb(tmp_path):
    bomb = xlsx_bombs.bomb(tmp_path / "b.xlsx", unpacked_mb=40)  # 40 MiB from ~40 KB: ratio ~1,000
    assert refused(bomb.read_bytes()).code == "zip_bomb"


def test_the_counting_stream_stops_at_the_limit_whatever_the_header_says():
    """A zip library that believed the data over the header would still be stopped: the counter reads a block at a
    time and gives up at the first block beyond the limit."""
    served = []

    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:len(buffer)] = b"A" * len(buffer)
            served.append(len(buffer))
            return len(buffer)

    class Archive:
        def open(self, member):
            return io.BufferedReader(Endless(), buffer_size=xlsx.BLOCK)

    member = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
    member.file_size = member.compress_size = 100  # it says 100 bytes
    with pytest.raises(xlsx._Refused) as info:
        xlsx._count(Archive(), member, 0, 3 * MIB)
    assert info.value.code == "too_large"
    assert 3 * MIB < sum(served) <= 3 * MIB + 2 * xlsx.BLOCK
    with pytest.raises(xlsx._Refused) as info:  # and a member that unpacks far beyond its packed size: a bomb
        xlsx._count(Archive(), member, 0, 100 * MIB)
    assert info.value.code == "zip_bomb" and sum(served) < 100 * MIB


def test_too_many_members_are_refused_before_zipfile_reads_the_directory(tmp_path, monkeypatch):
    many = xlsx_bombs.many_members(tmp_path / "many.xlsx", count=xlsx.MAX_MEMBERS + 500)

    def never(*args, **kwargs):
        raise AssertionError("zipfile.ZipFile was opened")

    monkeypatch.setattr(xlsx.zipfile, "ZipFile", never)
    assert refused(many.read_bytes()).code == "too_many_parts"


@pytest.mark.parametrize("data", [b"", b"code,name\n01,x", b"PK\x03\x04" + b"\0" * 100, b"\x89PNG\r\n\x1a\n" * 10])
def test_what_is_not_a_workbook_is_refused(data):
    assert refused(data).code == "not_xlsx"


def test_an_encrypted_member_is_refused(tmp_path):
    path = xlsx_bombs.small(tmp_path / "enc.xlsx")
    data = bytearray(path.read_bytes())
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" flag everywhere
        at = data.find(signature)
        while at != -1:
            data[at + flags_at] |= 0x1
            at = data.find(signature, at + 4)
    assert refused(bytes(data)).code == "not_xlsx"


def test_the_field_is_the_callers(tmp_path):
    assert refused(b"nope", field="workbook").field == "workbook"


# ======================================================================================================================
# Every import goes through it
# ======================================================================================================================
def test_no_upload_is_read_with_openpyxl_directly():
    """``load_workbook`` appears in the application only inside gridgov/common/xlsx.py (exports write, never read)."""
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "gridgov").rglob("*.py")
                 if "/tests/" not in path.as_posix() and path.name != "xlsx.py"
                 and re.search(r"load_workbook|zipfile\.ZipFile\(", path.read_text())]
    assert offenders == []


@pytest.mark.django_db
def test_a_registry_upload_with_a_bomb_creates_no_job(bombs, user):
    from gridgov.registry.imports import import_job_create
    from gridgov.registry.models import ImportJob

    before = set(default_storage.listdir("imports")[1]) if default_storage.exists("imports") else set()
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as info:
        import_job_create(actor=user("worker_a"), kind="people", mode="valid_rows",
                          upload=SimpleUploadedFile("人口.xlsx", bombs["honest"].read_bytes()))
    assert info.value.field == "file" and info.value.code == "too_large"
    assert "500 MB" in str(info.value.message)
    assert not ImportJob.objects.exists()
    after = set(default_storage.listdir("imports")[1]) if default_storage.exists("imports") else set()
    assert after == before


@pytest.mark.django_db
def test_the_taxonomy_import_page_refuses_a_bomb_and_changes_nothing(bombs, as_user):
    from gridgov.events.models import Category

    before = list(Category.objects.order_by("pk").values_list("pk", "code", "name", "updated_at"))
    response = as_user("sysadmin").post("/admin/events/category/import/",
                                        {"file": SimpleUploadedFile("t.xlsx", bombs["honest"].read_bytes())},
                                        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "解压后超过 500 MB" in response.content.decode()
    assert list(Category.objects.order_by("pk").values_list("pk", "code", "name", "updated_at")) == before
