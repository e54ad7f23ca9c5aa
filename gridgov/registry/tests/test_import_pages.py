"""The import and export pages: who sees them, upload → job page → progress block → error report; no-store."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.registry.excel import template_workbook
from gridgov.registry.imports import import_job_run
from gridgov.registry.models import ImportJob
from gridgov.registry.tests.import_helpers import (
    fill,
    make_id,
    person_row,
    read_sheet,
    wrong_check_digit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


def test_the_import_page_offers_template_upload_and_export_to_an_importer(as_user):
    response = as_user("community").get("/registry/import/?kind=houses")
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "/registry/import/template/houses.xlsx" in html and "/registry/export/houses.xlsx" in html
    assert 'name="mode"' in html and 'value="all_or_nothing"' in html and 'type="file"' in html


def test_a_leader_may_only_export_and_a_department_handler_sees_nothing(as_user):
    html = as_user("leader").get("/registry/import/").content.decode()
    assert "/registry/export/people.xlsx" in html and 'type="file"' not in html
    assert as_user("leader").get("/registry/import/template/people.xlsx").status_code == 404
    assert as_user("police").get("/registry/import/").status_code == 404
    assert as_user("police").get("/registry/export/people.xlsx").status_code == 404
    assert as_user("anonymous").get("/registry/import/").status_code == 302


def test_upload_runs_shows_progress_and_serves_the_error_report(as_user, user, grid_a):
    client = as_user("worker_a")
    template = client.get("/registry/import/template/people.xlsx")
    assert template.status_code == 200 and "no-store" in template["Cache-Control"]
    rows = [person_row(1, grid_a.code), {**person_row(2, grid_a.code), "证件号码": wrong_check_digit(make_id(2))}]
    data = fill(template.content, rows)

    response = client.post("/registry/import/", {"kind": "people", "mode": "valid_rows",
                                                 "file": SimpleUploadedFile("人口.xlsx", data)})

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/registry/import/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and "人口.xlsx" in page  # polls while queued
    import_job_run(job_id=job.pk)
    block = client.get(f"/registry/import/{job.pk}/progress/")
    html = block.content.decode()
    assert block.status_code == 200 and "no-store" in block["Cache-Control"]
    assert "hx-trigger" not in html and 'data-status="done"' in html  # polling stops when the job ends
    assert f"/registry/import/{job.pk}/errors.xlsx" in html
    report = client.get(f"/registry/import/{job.pk}/errors.xlsx")
    rows = read_sheet(b"".join(report.streaming_content), "错误")
    assert rows[1][:2] == [3, "证件号码"]
    assert as_user("worker_b").get(f"/registry/import/{job.pk}/").status_code == 404
    assert as_user("worker_b").get(f"/registry/import/{job.pk}/errors.xlsx").status_code == 404


def test_a_job_no_worker_has_taken_says_so_on_its_page(as_user, grid_a):
    """Uploads are run by `gridgov worker` only: a job still queued half a minute later tells the user what to ask."""
    import datetime as dt

    from django.utils import timezone

    client = as_user("worker_a")
    data = fill(client.get("/registry/import/template/people.xlsx").content, [person_row(1, grid_a.code)])
    client.post("/registry/import/", {"kind": "people", "mode": "valid_rows",
                                      "file": SimpleUploadedFile("人口.xlsx", data)})
    job = ImportJob.objects.get()
    assert 'id="job-waiting"' not in client.get(f"/registry/import/{job.pk}/progress/").content.decode()

    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(seconds=31))
    html = client.get(f"/registry/import/{job.pk}/progress/").content.decode()
    assert 'id="job-waiting"' in html and "gridgov worker" in html and 'hx-trigger="every 1s"' in html
    job.refresh_from_db()
    assert job.status == "queued"  # looking at the page never runs the job in the web process


def test_a_bad_upload_is_answered_on_the_page_and_creates_no_job(as_user):
    response = as_user("worker_a").post("/registry/import/", {
        "kind": "people", "mode": "valid_rows", "file": SimpleUploadedFile("a.xlsx", b"not a workbook")})
    assert response.status_code == 422 and 'id="upload-error"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_template_with_the_wrong_registry_is_refused_on_the_page(as_user, user):
    data = template_workbook("units", user=user("worker_a"))
    response = as_user("worker_a").post("/registry/import/", {
        "kind": "people", "mode": "valid_rows", "file": SimpleUploadedFile("u.xlsx", data)})
    assert response.status_code == 422 and "姓名" in response.content.decode()
