"""The Excel API of the registries: templates, uploads (a job run by `gridgov worker`), job status, the
error report, and masked exports. Every answer is ``no-store``; a job and its error report are the uploader's only
(anyone else gets 404). Roles: docs/registry-import.md."""

from typing import Annotated
from urllib.parse import quote

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from ninja import File, Form, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from pydantic import Field

from gridgov.common.api_errors import file_answer, responses
from gridgov.common.api_types import Id
from gridgov.common.audit import client_ip
from gridgov.common.errors import NotFound, PermissionDenied
from gridgov.registry import imports
from gridgov.registry.excel import (
    LAYOUTS,
    XLSX,
    download_name,
    registry_export,
    template_workbook,
)

router = Router(tags=["registry import"])
Kind = Annotated[str, Field(max_length=16)]


class JobOut(Schema):
    id: int
    kind: str
    mode: str
    status: str
    status_label: str
    file_name: str
    total_rows: int
    processed_rows: int
    created_rows: int
    updated_rows: int
    unchanged_rows: int
    error_rows: int
    progress: int
    message: str
    created_at: str
    finished_at: str | None
    error_report: str | None


def job_out(job) -> dict:
    done = job.status in imports.TERMINAL
    return {
        "id": job.pk, "kind": job.kind, "mode": job.mode, "status": job.status,
        "status_label": str(job.get_status_display()), "file_name": job.file_name, "total_rows": job.total_rows,
        "processed_rows": job.processed_rows, "created_rows": job.created_rows, "updated_rows": job.updated_rows,
        "unchanged_rows": job.unchanged_rows, "error_rows": job.error_rows, "progress": imports.job_progress(job),
        "message": job.message, "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if done and job.finished_at else None,
        "error_report": f"/api/v1/registry/imports/{job.pk}/errors" if done and job.error_file else None,
    }


def xlsx_response(data: bytes, ascii_name: str, local_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                       f"filename*=UTF-8''{quote(local_name, safe='')}")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _kind(kind: str) -> str:
    if kind not in LAYOUTS:
        raise NotFound(_("Unknown registry."))
    return kind


@router.get("/registry/templates/{kind}", response=responses({200: None}, not_found=True),
            openapi_extra=file_answer(XLSX),
            summary="The Excel template of a registry (people, houses, households, units, organisations)")
@decorate_view(never_cache)
def template(request, kind: Kind):
    if not imports.can_import(request.user):
        raise PermissionDenied(_("Your role may not import registry data."))
    data = template_workbook(_kind(kind), user=request.user)
    return xlsx_response(data, *download_name(kind, "template"))


@router.post("/registry/imports", response=responses({202: JobOut}),
             summary="Upload a filled template: a job that runs in the background")
@decorate_view(never_cache)
def upload(request, kind: Kind = Form(...), mode: Kind = Form("valid_rows"), file: UploadedFile = File(None)):
    """``mode``: ``valid_rows`` (apply the valid rows, report the others) or ``all_or_nothing`` (any bad row:
    nothing is applied). Poll the job until its status is done, refused or failed."""
    job = imports.import_job_create(actor=request.user, kind=kind, mode=mode, upload=file,
                                    file_name=getattr(file, "name", ""))
    return Status(202, job_out(job))


@router.get("/registry/imports", response=responses(list[JobOut], invalid=False), summary="My latest imports")
@decorate_view(never_cache)
def job_list(request):
    if not imports.can_import(request.user):
        raise PermissionDenied(_("Your role may not import registry data."))
    return [job_out(j) for j in imports.job_list(request.user)]


@router.get("/registry/imports/{job_id}", response=responses(JobOut, not_found=True),
            summary="Progress and outcome of an import")
@decorate_view(never_cache)
def job_detail(request, job_id: Id):
    return job_out(imports.access_job(request.user, job_id))


@router.get("/registry/imports/{job_id}/errors", response=responses({200: None}, not_found=True),
            openapi_extra=file_answer(XLSX), summary="The error report of an import (masked)")
@decorate_view(never_cache)
def job_errors(request, job_id: Id):
    job = imports.access_job(request.user, job_id)
    if job.status not in imports.TERMINAL or not job.error_file:
        raise NotFound(_("This import has no error report."))
    try:
        stored = default_storage.open(job.error_file.name, "rb")
    except FileNotFoundError:
        raise NotFound(_("This import has no error report.")) from None
    response = FileResponse(stored, content_type=XLSX, as_attachment=True,
                            filename=f"import-{job.pk}-errors.xlsx")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/registry/exports/{kind}", response=responses({200: None}, not_found=True),
            openapi_extra=file_answer(XLSX),
            summary="Export a registry within your area as Excel (masked, in the template's layout)")
@decorate_view(never_cache)
def export(request, kind: Kind):
    data, _count = registry_export(actor=request.user, kind=_kind(kind), ip=client_ip(request))
    return xlsx_response(data, *download_name(kind, "export"))
