"""Permission matrix of the registry Excel endpoints (templates, imports, error reports, exports).

``OPERATIONS`` is merged into the registry matrix (gridgov/registry/tests/test_api_permissions.py imports it), so the
completeness test of gridgov/regions/tests/test_api_permissions.py sees these endpoints too.

Who: import (template, upload, my jobs) — the roles that change the registry (grid worker, grid leader, community
staff); export — the roles that read it (those plus dispatchers and leaders), masked; a job and its error report —
the uploader only, 404 for anyone else, exactly like a job that does not exist.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.common.models import AuditLog
from gridgov.registry.excel import template_workbook
from gridgov.registry.imports import import_job_create, import_job_run
from gridgov.registry.models import ImportJob, Person
from gridgov.registry.tests.import_helpers import (
    fill,
    make_id,
    person_row,
    wrong_check_digit,
    xlsx_text,
)

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "excel template": ("GET", "/api/v1/registry/templates/{kind}"),
    "excel upload": ("POST", "/api/v1/registry/imports"),
    "excel jobs": ("GET", "/api/v1/registry/imports"),
    "excel job": ("GET", "/api/v1/registry/imports/{job_id}"),
    "excel errors": ("GET", "/api/v1/registry/imports/{job_id}/errors"),
    "excel export": ("GET", "/api/v1/registry/exports/{kind}"),
}
PERSONAS = ["worker_a", "worker_b", "gridleader", "community", "street_dispatcher", "dispatcher", "leader",
            "police", "hotline", "sysadmin", "secadmin", "auditadmin"]
IMPORTERS = {"worker_a", "worker_b", "gridleader", "community"}
EXPORTERS = IMPORTERS | {"street_dispatcher", "dispatcher", "leader"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


@pytest.fixture
def job(user, grid_a):
    """A finished import by worker_a with one bad row (so it has an error report)."""
    worker = user("worker_a")
    rows = [person_row(1, grid_a.code), {**person_row(2, grid_a.code),
                                         "证件号码": wrong_check_digit(make_id(2))}]
    data = fill(template_workbook("people", user=worker), rows)
    created = import_job_create(actor=worker, kind="people", mode="valid_rows",
                                upload=SimpleUploadedFile("p.xlsx", data))
    return import_job_run(job_id=created.pk)


def _request(operation, job, grid_a, user):
    data = fill(template_workbook("people", user=user("worker_a")), [person_row(50, grid_a.code)])
    return {
        "excel template": ("get", "/api/v1/registry/templates/people", None),
        "excel upload": ("post", "/api/v1/registry/imports", {
            "kind": "people", "mode": "valid_rows", "file": SimpleUploadedFile("p.xlsx", data)}),
        "excel jobs": ("get", "/api/v1/registry/imports", None),
        "excel job": ("get", f"/api/v1/registry/imports/{job.pk}", None),
        "excel errors": ("get", f"/api/v1/registry/imports/{job.pk}/errors", None),
        "excel export": ("get", "/api/v1/registry/exports/people", None),
    }[operation]


def send(client, request):
    method, url, payload = request
    return getattr(client, method)(url) if payload is None else getattr(client, method)(url, data=payload)


def snapshot():
    return Person.objects.count(), ImportJob.objects.count()


def test_every_operation_has_a_request(job, grid_a, user):
    for name, (method, _path) in OPERATIONS.items():
        assert _request(name, job, grid_a, user)[0].upper() == method


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_anonymous_gets_401_and_nothing_changes(as_user, job, grid_a, user, operation):
    before = snapshot()
    response = send(as_user("anonymous"), _request(operation, job, grid_a, user))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_download_templates_and_upload(as_user, job, grid_a, user, persona):
    client = as_user(persona)
    template = send(client, _request("excel template", job, grid_a, user))
    jobs_before = ImportJob.objects.count()
    upload = send(client, _request("excel upload", job, grid_a, user))
    listing = send(client, _request("excel jobs", job, grid_a, user))
    if persona in IMPORTERS:
        assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
        assert template["Cache-Control"].startswith("no-store") or "no-store" in template["Cache-Control"]
        assert upload.status_code == 202, upload.content
        assert upload.json()["status"] == "queued" and ImportJob.objects.count() == jobs_before + 1
        assert listing.status_code == 200
    else:
        for response in (template, upload, listing):
            assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert ImportJob.objects.count() == jobs_before


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_job_and_its_error_report_are_the_uploaders_only(as_user, job, grid_a, user, persona):
    client = as_user(persona)
    detail = send(client, _request("excel job", job, grid_a, user))
    errors = send(client, _request("excel errors", job, grid_a, user))
    listed = client.get("/api/v1/registry/imports")
    if persona == "worker_a":
        assert detail.status_code == 200 and detail.json()["error_rows"] == 1
        assert detail.json()["error_report"] == f"/api/v1/registry/imports/{job.pk}/errors"
        assert errors.status_code == 200 and "no-store" in errors["Cache-Control"]
        body = b"".join(errors.streaming_content)
        assert make_id(2) not in xlsx_text(body) and wrong_check_digit(make_id(2)) not in xlsx_text(body)
        assert [j["id"] for j in listed.json()] == [job.pk]
    else:
        missing = client.get(f"/api/v1/registry/imports/{job.pk + 1000}")
        assert detail.status_code == 404 and detail.json() == missing.json()
        assert errors.status_code == 404
        if listed.status_code == 200:
            assert job.pk not in [j["id"] for j in listed.json()]


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_export_and_every_export_is_masked_and_audited(as_user, job, grid_a, user, persona):
    client = as_user(persona)
    before = AuditLog.objects.filter(action="registry.export").count()
    response = send(client, _request("excel export", job, grid_a, user))
    if persona in EXPORTERS:
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        text = xlsx_text(response.content)
        visible = Person.objects.filter(is_active=True)
        assert "110***********" in text or persona == "worker_b" or "***" in text
        assert not [p.pk for p in visible if p.id_number in text or (p.phone and p.phone in text)]
        assert AuditLog.objects.filter(action="registry.export").count() == before + 1
    else:
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert AuditLog.objects.filter(action="registry.export").count() == before


@pytest.mark.parametrize("persona, sees_person_1", [("worker_a", True), ("gridleader", True), ("community", True),
                                                    ("street_dispatcher", True), ("worker_b", False)])
def test_an_export_holds_the_area_of_the_persona_only(as_user, job, persona, sees_person_1):
    import io

    from openpyxl import load_workbook

    response = as_user(persona).get("/api/v1/registry/exports/people")
    ws = load_workbook(io.BytesIO(response.content), read_only=True)["数据"]
    names = {row[1] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert ("测试1" in names) == sees_person_1
    assert "测试2" not in names  # the bad row was never imported


def test_key_person_tags_are_left_out_of_a_leaders_export(as_user, person_a):
    import io

    from openpyxl import load_workbook

    key_tags = set(person_a.person_tags.filter(tag__group="key").values_list("tag__name", flat=True))
    assert key_tags

    def tags_of(persona):
        wb = load_workbook(io.BytesIO(as_user(persona).get("/api/v1/registry/exports/people").content),
                           read_only=True)
        ws = wb["数据"]
        header = next(ws.iter_rows(max_row=1, values_only=True))
        id_col, tag_col = header.index("系统编号"), header.index("标签")
        return next(r[tag_col] or "" for r in ws.iter_rows(min_row=2, values_only=True) if r[id_col] == person_a.pk)

    assert key_tags <= set(tags_of("worker_a").split("、"))
    assert not key_tags & set(tags_of("leader").split("、"))
