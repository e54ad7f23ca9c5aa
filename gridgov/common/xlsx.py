"""The one way to open an uploaded Excel workbook (.xlsx): every import (registries, taxonomy, …) calls
``xlsx_open`` and never ``openpyxl.load_workbook`` on an upload.

An .xlsx is a zip archive, and a zip can declare one size and hold another: a 1 MB file can unpack to gigabytes
(a "zip bomb"), and openpyxl builds a cell's whole text in memory. So before openpyxl sees a byte, the archive is
checked by what it really holds, in constant memory:

1. the end-of-central-directory record is read by hand: more than ``MAX_MEMBERS`` members (or a directory larger
   than that needs) is refused before ``zipfile`` builds an object per member;
2. the declared sizes: their sum within the limit, each member within ``MAX_RATIO`` × its packed size (a member
   that unpacks to less than ``RATIO_FLOOR`` is never judged by its ratio), only stored or deflated members, none
   encrypted;
3. every member is read through a counting stream, 64 KiB at a time, and the reading stops as soon as the real
   unpacked bytes pass the limit (``GRIDGOV_XLSX_MAX_UNPACKED_MB``, all members together) or a member passes
   ``MAX_RATIO`` × its packed size — whatever its header said. A member whose data does not match its header
   (size, CRC) is refused as damaged.

Only then is the workbook opened (read-only, values only). Every refusal is a ``ValidationFailed`` on the upload's
field with a reason the user can act on; nothing has been written by then.
"""

import io
import struct
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.common.errors import ValidationFailed

MAX_MEMBERS = 1000  # a workbook has a dozen or two parts; a few hundred with many sheets and pictures
MAX_RATIO = 100  # unpacked ÷ packed size of one member: real sheets compress 5–30×, a zip bomb 1,000×
RATIO_FLOOR = 10 * 1024 * 1024  # members that unpack to less are never refused for their ratio
BLOCK = 64 * 1024
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD_MAX_COMMENT = 0xFFFF
_DIRECTORY_BYTES_PER_MEMBER = 1024  # 46 bytes of header, a name, extra fields: far less in practice


class _Refused(Exception):
    def __init__(self, code: str, message):
        super().__init__(code)
        self.code, self.message = code, message


def max_unpacked_bytes() -> int:
    return settings.GRIDGOV_XLSX_MAX_UNPACKED_BYTES


def xlsx_check(fileobj, *, max_bytes: int | None = None) -> int:
    """Check an uploaded .xlsx (a seekable binary file) by what it really holds; returns its unpacked size in bytes.
    ``ValidationFailed`` (field "file") names the reason; the file position is left at the start."""
    limit = max_unpacked_bytes() if max_bytes is None else max_bytes
    try:
        total = _check(fileobj, limit)
    except _Refused as refused:
        raise ValidationFailed(refused.message, field="file", code=refused.code) from None
    finally:
        fileobj.seek(0)
    return total


def xlsx_open(source, *, field: str = "file", max_bytes: int | None = None):
    """An uploaded workbook (bytes, or a seekable binary file) opened read-only with values only, after
    ``xlsx_check``. The caller closes it (``workbook.close()``). ``ValidationFailed`` on ``field`` for anything that
    is not a sound .xlsx within the limits."""
    from openpyxl import load_workbook

    fileobj = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    try:
        xlsx_check(fileobj, max_bytes=max_bytes)
        return load_workbook(fileobj, read_only=True, data_only=True)
    except ValidationFailed as exc:
        exc.field = field
        raise
    except Exception as exc:  # openpyxl raises many kinds for an archive that is no workbook
        raise ValidationFailed(_not_xlsx(), field=field, code="not_xlsx") from exc


def _not_xlsx():
    return _("The file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again.")


def _too_large(limit: int):
    return _("The file unpacks to more than %(mb)d MB, the most an Excel workbook may hold here. Split it into "
             "several files.") % {"mb": limit // (1024 * 1024)}


def _check(fileobj, limit: int) -> int:
    _check_directory(fileobj)
    fileobj.seek(0)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error):
        raise _Refused("not_xlsx", _not_xlsx()) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _too_many(len(members))
        if sum(m.file_size for m in members) > limit:
            raise _Refused("too_large", _too_large(limit))
        for member in members:
            if member.flag_bits & 0x1 or member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _Refused("not_xlsx", _not_xlsx())
            if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise _bomb()
        total = 0
        for member in members:
            total = _count(archive, member, total, limit)
    return total


def _count(archive: zipfile.ZipFile, member: zipfile.ZipInfo, total: int, limit: int) -> int:
    """Read one member through a counter, a block at a time, and stop at the first byte beyond a limit."""
    ratio_limit = max(RATIO_FLOOR, MAX_RATIO * max(member.compress_size, 1))
    unpacked = 0
    try:
        with archive.open(member) as stream:
            while block := stream.read(BLOCK):
                unpacked += len(block)
                if total + unpacked > limit:
                    raise _Refused("too_large", _too_large(limit))
                if unpacked > ratio_limit:
                    raise _bomb()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error, RuntimeError,
            NotImplementedError):
        raise _Refused("not_xlsx", _("The file is damaged: %(part)s cannot be unpacked. Save the workbook again as "
                                     ".xlsx and upload it again.") % {"part": member.filename[:80]}) from None
    return total + unpacked


def _too_many(count: int) -> _Refused:
    return _Refused("too_many_parts", _("The file holds %(count)d parts; an Excel workbook has far fewer (at most "
                                        "%(max)d are accepted). Save it again as .xlsx and upload it again.")
                    % {"count": count, "max": MAX_MEMBERS})


def _bomb() -> _Refused:
    return _Refused("zip_bomb", _("The file is not a normal Excel workbook: a part of it unpacks to more than "
                                  "%(ratio)d times its packed size. Save it again as .xlsx and upload it again.")
                    % {"ratio": MAX_RATIO})


def _check_directory(fileobj) -> None:
    """Count the members from the end-of-central-directory record (and its ZIP64 form) before ``zipfile`` reads
    the directory, which costs memory per member."""
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    tail_start = max(0, size - (22 + _EOCD_MAX_COMMENT))
    fileobj.seek(tail_start)
    tail = fileobj.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise _Refused("not_xlsx", _not_xlsx())
    _sig, _disk, _cd_disk, _here, entries, directory_size, _offset, _comment = struct.unpack(
        "<4s4H2LH", tail[at:at + 22])
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:  # ZIP64: the real figures are in the ZIP64 record
        locator = tail_start + at - 20
        if locator < 0:
            raise _Refused("not_xlsx", _not_xlsx())
        fileobj.seek(locator)
        block = fileobj.read(20)
        if len(block) < 20 or block[:4] != _EOCD64_LOCATOR:
            raise _Refused("not_xlsx", _not_xlsx())
        record_at = struct.unpack("<4sLQL", block)[2]
        fileobj.seek(record_at)
        record = fileobj.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            raise _Refused("not_xlsx", _not_xlsx())
        entries, directory_size = struct.unpack("<QQ", record[32:48])
    if entries > MAX_MEMBERS:
        raise _too_many(entries)
    if directory_size > MAX_MEMBERS * _DIRECTORY_BYTES_PER_MEMBER:
        raise _too_many(max(entries, directory_size // _DIRECTORY_BYTES_PER_MEMBER))
