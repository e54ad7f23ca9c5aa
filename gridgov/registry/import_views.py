"""The import and export pages of the registries: choose a registry, download its template, upload a filled one
(apply the valid rows / all or nothing), watch the job's progress (htmx polling) and download the error report;
export the registry of your area (masked). Every page is no-store."""

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from gridgov.common.audit import client_ip
from gridgov.common.errors import DomainError, NotFound
from gridgov.registry import imports, policy
from gridgov.registry.choices import ImportKind, ImportMode, ImportStatus
from gridgov.registry.excel import (
    LAYOUTS,
    XLSX,
    download_name,
    registry_export,
    template_workbook,
)
from gridgov.registry.forms import ImportForm
from gridgov.registry.import_api import xlsx_response


def _page(request, template, context, status=200):
    context.setdefault("nav", "registry")
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _not_found(request):
    return _page(request, "web/not_found.html", {}, status=404)


@never_cache
@login_required
def import_index(request):
    if not policy.can_read(request.user):
        return _not_found(request)
    kind = request.POST.get("kind") or request.GET.get("kind") or ImportKind.PEOPLE
    if kind not in LAYOUTS:
        kind = ImportKind.PEOPLE
    can_import = imports.can_import(request.user)
    error = None
    form = ImportForm(request.POST if request.method == "POST" else None, request.FILES or None)
    mode = request.POST.get("mode") if request.POST.get("mode") in ImportMode.values else ImportMode.VALID_ROWS
    if request.method == "POST":
        if not can_import:
            return _not_found(request)
        if not form.is_valid():
            error = form.error_text()
        else:
            d = form.cleaned_data
            try:
                job = imports.import_job_create(actor=request.user, kind=d["kind"],
                                                mode=d["mode"] or ImportMode.VALID_ROWS, upload=d["file"],
                                                file_name=d["file"].name)
            except DomainError as exc:
                error = str(exc.message)
            else:
                return redirect("registry-import:job", job_id=job.pk)
    layout = LAYOUTS[kind]
    context = {
        "kinds": [(k, LAYOUTS[k].title) for k in LAYOUTS], "kind": kind, "layout": layout,
        "columns": layout.columns, "can_import": can_import, "modes": ImportMode.choices, "mode": mode,
        "error": error, "jobs": imports.job_list(request.user, limit=10),
        "max_mb": imports.max_bytes() // (1024 * 1024), "max_rows": imports.max_rows(),
    }
    return _page(request, "registry/import_index.html", context, status=422 if error else 200)


def _job(request, job_id):
    try:
        return imports.access_job(request.user, job_id)
    except NotFound:
        raise Http404 from None


@never_cache
@login_required
def job_page(request, job_id: int):
    try:
        job = imports.access_job(request.user, job_id)
    except NotFound:
        return _not_found(request)
    return _page(request, "registry/import_job.html", _job_context(job))


@never_cache
@login_required
def job_progress(request, job_id: int):
    """The progress block alone: the job page polls it (htmx) until the job ends."""
    try:
        job = imports.access_job(request.user, job_id)
    except NotFound:
        return _not_found(request)
    return _page(request, "registry/import_progress.html", _job_context(job))


def _job_context(job) -> dict:
    running = job.status not in imports.TERMINAL
    return {"job": job, "running": running, "progress": imports.job_progress(job),
            "title": LAYOUTS[job.kind].title, "statuses": ImportStatus,
            "waiting_long": imports.job_waiting_long(job),
            "writing": running and job.total_rows and job.processed_rows >= job.total_rows}


@never_cache
@login_required
def job_errors(request, job_id: int):
    job = _job(request, job_id)
    if job.status not in imports.TERMINAL or not job.error_file:
        raise Http404
    try:
        stored = default_storage.open(job.error_file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stored, content_type=XLSX, as_attachment=True, filename=f"import-{job.pk}-errors.xlsx")
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def template_download(request, kind: str):
    if kind not in LAYOUTS or not imports.can_import(request.user):
        raise Http404
    return xlsx_response(template_workbook(kind, user=request.user), *download_name(kind, "template"))


@never_cache
@login_required
def export_download(request, kind: str):
    if kind not in LAYOUTS or not policy.can_read(request.user):
        raise Http404
    data, _count = registry_export(actor=request.user, kind=kind, ip=client_ip(request))
    return xlsx_response(data, *download_name(kind, "export"))
