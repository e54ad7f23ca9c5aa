"""The Excel import engine of the registries (docs/registry-import.md).

``import_job_create`` (a service: checks the uploader and the file, stores it) writes the ``ImportJob`` and an outbox
message (topic ``registry.import``) in one transaction; ``gridgov worker`` runs the message's handler,
``import_job_handle`` → ``import_job_run``, which does the work — no thread of a web process ever does:

1. The workbook is read with openpyxl in read-only mode, row by row (memory stays flat however long the file is).
2. Every row is cleaned (``gridgov.registry.import_rows``): required fields, GB 11643 identity numbers, choice values,
   dates, numbers, and the grid (by 网格编码, or by 经度/纬度 through the grid index) inside the uploader's area.
3. Rows are resolved in chunks (``GRIDGOV_IMPORT_CHUNK_ROWS``, 2,000) against the database by their keyed hashes
   (``id_hash``, ``address_key``, 户号, credit code) and against the earlier rows of the same file (a duplicate is an
   error of the later row). Masked numbers from an export mean "unchanged" when they match the masked stored value.
4. Chunks are written with ``bulk_create`` / ``bulk_update`` (only the fields that changed), counting created,
   updated and unchanged rows: importing the same file again changes nothing.

Modes: "apply the valid rows" commits chunk by chunk; "all or nothing" validates the whole file first, refuses it when
any row is bad, and otherwise writes every chunk in one transaction. Every bad row is listed by row, column and reason
in an error workbook whose cells are masked. One audit row per import.

Surviving the worker's death (``kill -9``): each chunk commits its rows together with the checkpoint (rows done and
the counts so far, on the job) and the renewal of the outbox message's lease (``outbox_heartbeat``, the fencing
check: a worker that lost its lease writes nothing more). When a worker dies its lease runs out
(``GRIDGOV_OUTBOX_LEASE_SECONDS``), another worker claims the message and the job resumes: the file is read again from
the start (so the error report and the duplicate check are complete) and written only after the checkpoint — no row
lost, none written twice, and the progress bar goes on from where it stood. A worker asked to stop (SIGTERM) hands
the job back after its current chunk.
"""

import datetime as dt
import io
import logging
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.common.audit import audit_record
from gridgov.common.errors import NotFound, PermissionDenied, ValidationFailed
from gridgov.common.models import AuditLog
from gridgov.common.outbox import LeaseLost, Released, outbox_heartbeat, outbox_put
from gridgov.common.xlsx import xlsx_open
from gridgov.registry.choices import ImportMode, ImportStatus
from gridgov.registry.excel import DATA_SHEET, IMPORT_ROLES, LAYOUTS, Layout
from gridgov.registry.import_rows import Context, RowError, clean_row, resolve_chunk
from gridgov.registry.models import ImportJob

log = logging.getLogger("gridgov.registry.imports")

TOPIC = "registry.import"  # outbox topic; handler registered in RegistryConfig.ready
TERMINAL = {ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED}
WAITING_HINT_SECONDS = 30  # a job still queued after this long: the page says a background worker must be running


def max_bytes() -> int:
    return getattr(settings, "GRIDGOV_IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def max_rows() -> int:
    return getattr(settings, "GRIDGOV_IMPORT_MAX_ROWS", 200_000)


def chunk_rows() -> int:
    return getattr(settings, "GRIDGOV_IMPORT_CHUNK_ROWS", 2000)


WRITE_ATTEMPTS = 3  # a chunk whose transaction could not start (database locked) is tried again
MAX_REPORTED_ERRORS = 20_000  # listed one by one in the error workbook; beyond that only counted


class _Refused(Exception):
    """All-or-nothing: a row turned bad during the writing pass; roll everything back."""


# ======================================================================================================================
# Opening a workbook
# ======================================================================================================================
@dataclass
class Sheet:
    workbook: object
    worksheet: object
    columns: dict  # column index → Column
    estimated_rows: int


def open_sheet(fileobj, layout: Layout) -> Sheet:
    """The data sheet of an uploaded workbook, its columns by header, and its row count from the sheet's dimension.
    ValidationFailed (field "file") for anything that is not a usable template of this registry. The workbook is
    opened by ``gridgov.common.xlsx`` (its real unpacked size, a zip bomb, …) and only then read."""
    workbook = xlsx_open(fileobj, field="file")
    try:
        ws = workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
        header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), None) or ()
    except Exception as exc:  # no sheet at all, or a sheet openpyxl cannot parse
        workbook.close()
        raise ValidationFailed(_("The file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again."),
                               field="file", code="not_xlsx") from exc
    columns = {}
    for index, text in enumerate(header):
        name = str(text or "").strip().lstrip("*").rstrip("*").strip()
        if name in layout.by_header:
            columns[index] = layout.by_header[name]
    found = {c.key for c in columns.values()}
    missing = [c.header for c in layout.columns if c.required and c.key not in found]
    if not columns or missing:
        workbook.close()
        raise ValidationFailed(
            _("The first row must hold the template's headers; missing: %(columns)s. Download the template of "
              "this registry again.") % {"columns": "、".join(missing) or "—"}, field="file", code="bad_headers")
    estimated = max((ws.max_row or 1) - 1, 0)
    return Sheet(workbook, ws, columns, estimated)


def data_rows(sheet: Sheet):
    """(row number, {column key: cell value}) for every row below the header that is not empty."""
    for number, values in enumerate(sheet.worksheet.iter_rows(min_row=2, values_only=True), start=2):
        row = {}
        for index, column in sheet.columns.items():
            value = values[index] if index < len(values) else None
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                row[column.key] = value
        if row:
            yield number, row


# ======================================================================================================================
# Upload: the service that queues a job
# ======================================================================================================================
def can_import(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.role in IMPORT_ROLES)


def import_job_create(*, actor, kind: str, mode: str, upload, file_name: str = "") -> ImportJob:
    """Check the uploader, the registry, the mode and the file (size, .xlsx, headers, rows), store the file under a
    server-generated name and queue the job: the job and its outbox message are written in one transaction, and
    ``gridgov worker`` runs it."""
    if not can_import(actor):
        raise PermissionDenied(_("Your role may not import registry data."))
    if kind not in LAYOUTS:
        raise ValidationFailed(_("Unknown registry."), field="kind")
    if mode not in ImportMode.values:
        raise ValidationFailed(_("Choose how to import: apply the valid rows, or all or nothing."), field="mode")
    if upload is None:
        raise ValidationFailed(_("Choose an Excel file (.xlsx)."), field="file")
    size = getattr(upload, "size", None)
    if size is None or size > max_bytes():
        raise ValidationFailed(_("The file is larger than %(mb)d MB; split it into several files.") % {
            "mb": max_bytes() // (1024 * 1024)}, field="file", code="too_large")
    if size == 0:
        raise ValidationFailed(_("The file is empty."), field="file")
    import hashlib

    digest = hashlib.sha256()
    upload.seek(0)
    for block in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(block)
    sheet = open_sheet(upload, LAYOUTS[kind])
    estimated = sheet.estimated_rows
    sheet.workbook.close()
    if estimated > max_rows():
        raise ValidationFailed(_("The file has %(rows)d rows; at most %(max)d rows can be imported at once.") % {
            "rows": estimated, "max": max_rows()}, field="file", code="too_many_rows")
    upload.seek(0)
    now = timezone.now()
    stored = default_storage.save(f"imports/{now:%Y/%m}/{uuid.uuid4().hex}.xlsx", upload)
    display_name = (file_name or getattr(upload, "name", "") or "upload.xlsx").replace("\\", "/").split("/")[-1]
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind, mode=mode, file_name=display_name[:200],
                                       file_sha256=digest.hexdigest(), file=stored, total_rows=estimated,
                                       created_by=actor)
        outbox_put(topic=TOPIC, payload={"job_id": job.pk}, dedupe_key=f"{TOPIC}:{job.pk}")
    return job


def access_job(user, job_id: int, *, for_update: bool = False) -> ImportJob:
    """An import job of this user (only the uploader sees a job and its error report); 404 otherwise."""
    job = ImportJob.objects.filter(pk=job_id, created_by=user).first() if can_import(user) else None
    if job is None:
        raise NotFound(_("No such import."))
    return job


def job_list(user, *, limit: int = 20):
    if not can_import(user):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by=user).order_by("-created_at", "-id")[:limit]


def job_progress(job: ImportJob) -> int:
    """Percent done (0–100) for the progress bar."""
    if job.status in TERMINAL:
        return 100
    if not job.total_rows:
        return 0
    return min(99, int(job.processed_rows * 100 / job.total_rows))


def job_waiting_long(job: ImportJob, *, now=None) -> bool:
    """Still queued well after the upload: no background worker has taken it (is ``gridgov worker`` running?)."""
    now = now or timezone.now()
    return job.status == ImportStatus.QUEUED and job.created_at < now - dt.timedelta(seconds=WAITING_HINT_SECONDS)


# ======================================================================================================================
# Running a job
# ======================================================================================================================
def _start(job_id: int) -> None:
    """Mark the job running (its first start is kept). The worker holds the job's outbox message under a lease, so it
    is the only one running it; an interrupted run is simply resumed from the checkpoint."""
    ImportJob.objects.filter(pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
        status=ImportStatus.RUNNING, started_at=Coalesce("started_at", Value(timezone.now())))


@dataclass
class Counts:
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Run:
    job: ImportJob
    layout: Layout = None
    errors: list = field(default_factory=list)  # RowError, at most MAX_REPORTED_ERRORS
    error_count: int = 0
    bad_rows: set = field(default_factory=set)

    def checkpoint(self, **values) -> None:
        """Store progress on the job, and renew the worker's lease — inside the caller's transaction when it writes
        rows, so the rows, the checkpoint and the fencing check commit together. LeaseLost if the job is no longer
        this worker's to run."""
        outbox_heartbeat()
        if ImportJob.objects.filter(pk=self.job.pk, status=ImportStatus.RUNNING).update(**values) != 1:
            raise LeaseLost(f"import {self.job.pk} is no longer running")

    def add_errors(self, errors: list[RowError]) -> None:
        for error in errors:
            self.bad_rows.add(error.row)
            self.error_count += 1
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(error)


def import_job_handle(payload: dict) -> None:
    """Outbox handler of ``registry.import`` (registered in RegistryConfig.ready): run or resume the job to its end.
    Raising (the database is away, a lease was lost) leaves the message for the outbox to retry."""
    import_job_run(job_id=int(payload["job_id"]))


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run the job to its end, resuming after its last committed chunk; None when it no longer exists. A job that
    has ended is returned as it is. ``gridgov worker`` calls it through the outbox, which holds the lease; called
    directly (tests, a shell) there is no lease, so nothing else may run the same job at the same time."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status in TERMINAL:
        return job
    _start(job_id)
    job.refresh_from_db()
    run = Run(job=job, layout=LAYOUTS[job.kind])
    with translation.override(settings.LANGUAGE_CODE):
        try:
            _run(run)
        except (LeaseLost, Released):
            raise  # another worker has it / the worker is stopping: the job stays running, its checkpoint kept
        except (OperationalError, InterfaceError):
            log.warning("import %s: the database is unavailable; the job resumes when the outbox retries", job_id)
            raise
        except Exception as exc:  # noqa: BLE001 - the job must end in a clear state whatever went wrong
            log.exception("import %s failed: %s", job_id, type(exc).__name__)
            if connection.in_atomic_block:
                raise
            job.refresh_from_db()
            _finish(run, ImportStatus.FAILED, Counts(processed=job.processed_rows, created=job.created_rows,
                                                     updated=job.updated_rows, unchanged=job.unchanged_rows),
                    message=_("The import stopped on an internal error; rows already applied stay. Upload the "
                              "file again to apply the rest (applied rows will be unchanged)."))
    job.refresh_from_db()
    return job


def _run(run: Run) -> None:
    job = run.job
    user = job.created_by
    if not can_import(user):
        _finish(run, ImportStatus.FAILED, Counts(), message=_("The uploader may no longer import registry data."))
        return
    try:
        fileobj = default_storage.open(job.file.name, "rb")
    except (FileNotFoundError, ValueError):
        _finish(run, ImportStatus.FAILED, Counts(), message=_("The uploaded file is no longer available."))
        return
    with fileobj:
        data = io.BytesIO(fileobj.read()) if not hasattr(fileobj, "seekable") or not fileobj.seekable() else fileobj
        try:
            sheet = open_sheet(data, run.layout)
        except ValidationFailed as exc:
            _finish(run, ImportStatus.FAILED, Counts(), message=str(exc.message))
            return
        context = Context.build(user=user, layout=run.layout)
        try:
            if job.mode == ImportMode.ALL_OR_NOTHING:
                _all_or_nothing(run, sheet, context, data)
            else:
                _valid_rows(run, sheet, context)
        finally:
            sheet.workbook.close()


def _chunks(run: Run, sheet: Sheet, context: Context, *, boundary: int = 0):
    """Cleaned and resolved chunks: (rows in the chunk, the plan to write). Rows beyond the size limit are errors.
    A chunk always ends at ``boundary`` rows (a checkpoint), whatever the chunk size was when it was written."""
    size = chunk_rows()
    buffer = []
    seen = taken = 0
    for number, raw in data_rows(sheet):
        seen += 1
        if seen > max_rows():
            run.add_errors([RowError(number, "", "", _("Beyond the %(max)d rows an import may hold.") % {
                "max": max_rows()})])
            continue
        buffer.append((number, raw))
        taken += 1
        if len(buffer) >= size or taken == boundary:
            yield _resolve(run, buffer, context)
            buffer = []
    if buffer:
        yield _resolve(run, buffer, context)


def _resolve(run: Run, rows, context: Context):
    cleaned = []
    for number, raw in rows:
        item, errors = clean_row(run.layout, number, raw, context)
        if errors:
            run.add_errors(errors)
        else:
            cleaned.append(item)
    plan = resolve_chunk(run.layout, cleaned, context)
    run.add_errors(plan.errors)
    return len(rows), plan


def _valid_rows(run: Run, sheet: Sheet, context: Context) -> None:
    """Each chunk commits its rows with the checkpoint (rows done, counts) and the lease renewal. A resumed run reads
    the chunks before its checkpoint again only for their errors and keys, and writes from the checkpoint on."""
    job = run.job
    done_before = job.processed_rows  # rows committed by an earlier, interrupted run of this job
    counts = Counts(processed=0, created=job.created_rows, updated=job.updated_rows, unchanged=job.unchanged_rows)
    for n_rows, plan in _chunks(run, sheet, context, boundary=done_before):
        end = counts.processed + n_rows
        if end <= done_before:  # committed before the interruption: only its errors and keys were needed again
            counts.processed = end
            outbox_heartbeat()  # re-reading a long file takes a while: keep the lease
            continue
        for attempt in range(WRITE_ATTEMPTS):  # SQLite: another long writer may hold the lock past its timeout
            try:
                with transaction.atomic():
                    created, updated, unchanged = plan.write(actor=job.created_by)
                    run.checkpoint(processed_rows=end, created_rows=counts.created + created,
                                   updated_rows=counts.updated + updated,
                                   unchanged_rows=counts.unchanged + unchanged, error_rows=len(run.bad_rows),
                                   total_rows=max(job.total_rows, end))
                break
            except OperationalError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
                log.warning("import %s: chunk not written (database busy), attempt %d", job.pk, attempt + 1)
                time.sleep(1 + attempt)
        counts.created += created
        counts.updated += updated
        counts.unchanged += unchanged
        counts.processed = end
        outbox_heartbeat(checkpoint=True)  # committed: a stopping worker hands the job back here
    _finish(run, ImportStatus.DONE, counts)


def _all_or_nothing(run: Run, sheet: Sheet, context: Context, data) -> None:
    """First pass: validate and resolve everything (progress shown). Any bad row: refused, nothing written.
    Second pass: the same pipeline again, writing every chunk inside one transaction. Nothing is committed before the
    end, so an interrupted job starts over (its progress bar does not go back: it shows the furthest row reached)."""
    job = run.job
    shown = job.processed_rows
    processed = 0
    for n_rows, _plan in _chunks(run, sheet, context):
        processed += n_rows
        if processed > shown:
            shown = processed
            ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
                processed_rows=processed, error_rows=len(run.bad_rows), total_rows=max(job.total_rows, processed))
        outbox_heartbeat(checkpoint=True)  # nothing is committed yet: a stopping worker hands the job back here
    if run.error_count:
        _finish(run, ImportStatus.REFUSED, Counts(processed=processed),
                message=_("%(n)d rows have errors: nothing was imported. Correct them and upload the file again.")
                % {"n": len(run.bad_rows)})
        return
    sheet.workbook.close()
    second = open_sheet(data, run.layout)
    context.reset_file_keys()
    counts = Counts(processed=processed)
    try:
        with transaction.atomic():  # the lease is renewed inside: on PostgreSQL that locks the message until the end
            outbox_heartbeat()
            for _n, plan in _chunks(run, second, context):
                if run.error_count:
                    raise _Refused
                created, updated, unchanged = plan.write(actor=job.created_by)
                counts.created += created
                counts.updated += updated
                counts.unchanged += unchanged
                outbox_heartbeat()
            if run.error_count:
                raise _Refused
            _finish(run, ImportStatus.DONE, counts)
    except _Refused:
        _finish(run, ImportStatus.REFUSED, Counts(processed=processed),
                message=_("Rows changed while the file was imported: nothing was imported. Upload it again."))
    finally:
        second.workbook.close()


def _finish(run: Run, status: str, counts: Counts, *, message: str = "") -> None:
    """Store the outcome, the error workbook and one audit row; delete the uploaded file (it holds clear numbers)."""
    job = run.job
    error_name = write_error_workbook(run) if run.error_count else ""
    now = timezone.now()
    values = dict(status=status, processed_rows=counts.processed, created_rows=counts.created,
                  updated_rows=counts.updated, unchanged_rows=counts.unchanged, error_rows=len(run.bad_rows),
                  message=str(message)[:500], error_file=error_name, file="")
    if status != ImportStatus.FAILED:
        values["total_rows"] = counts.processed  # the rows actually read (the sheet's dimension was an estimate)
    with transaction.atomic():
        try:
            run.checkpoint(finished_at=now, **values)
        except LeaseLost:
            if error_name:
                default_storage.delete(error_name)
            raise
        outcome = {ImportStatus.DONE: AuditLog.Outcome.SUCCESS,
                   ImportStatus.REFUSED: AuditLog.Outcome.DENIED}.get(status, AuditLog.Outcome.FAILED)
        audit_record(actor=job.created_by, action="registry.import", obj=job, outcome=outcome, detail={
            "kind": job.kind, "mode": job.mode, "status": status, "file_sha256": job.file_sha256,
            "rows": counts.processed, "created": counts.created, "updated": counts.updated,
            "unchanged": counts.unchanged, "error_rows": len(run.bad_rows)})
        uploaded = job.file.name

        def delete_upload():
            if uploaded:
                try:
                    default_storage.delete(uploaded)
                except OSError:
                    log.warning("import %s: could not delete the uploaded file", job.pk)

        transaction.on_commit(delete_upload)


def write_error_workbook(run: Run) -> str:
    """The error report: one line per problem (row, column, the cell as it was — masked if it is an identity
    number or a phone — and the reason). Returns its storage name."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误")
    for letter, width in zip("ABCD", (8, 16, 26, 80)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    header = []
    for text in ("行号", "列", "单元格内容（已脱敏）", "原因"):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for error in sorted(run.errors, key=lambda e: (e.row, e.column)):
        ws.append([error.row, error.column, error.value, error.reason])
    info = wb.create_sheet("说明")
    info.append(["文件", run.job.file_name])
    info.append(["出错行数", len(run.bad_rows)])
    info.append(["问题数", run.error_count])
    if run.error_count > len(run.errors):
        info.append(["说明", f"仅列出前 {len(run.errors)} 个问题。"])
    info.append(["说明", "证件号码和电话号码已脱敏；请按行号在原文件中更正后重新导入。"])
    buf = io.BytesIO()
    wb.save(buf)
    return default_storage.save(f"imports/{timezone.now():%Y/%m}/errors-{uuid.uuid4().hex}.xlsx",
                                ContentFile(buf.getvalue()))
