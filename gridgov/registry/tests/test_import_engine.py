"""The Excel import engine: templates filled with openpyxl and imported for real, on SQLite and PostgreSQL."""

import pytest

from gridgov.common.models import AuditLog
from gridgov.registry.excel import template_workbook
from gridgov.registry.imports import import_job_create, import_job_run
from gridgov.registry.models import ImportJob, Person
from gridgov.registry.tests.import_helpers import (fill, make_id, make_phone, person_row, plain_workbook,
                                                   read_sheet, wrong_check_digit)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


def run_import(user, kind, data: bytes, mode="valid_rows") -> ImportJob:
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = import_job_create(actor=user, kind=kind, mode=mode, upload=SimpleUploadedFile("people.xlsx", data))
    done = import_job_run(job_id=job.pk)
    assert done is not None
    return done


def error_rows(job) -> list[list]:
    from django.core.files.storage import default_storage

    with default_storage.open(job.error_file.name, "rb") as f:
        return read_sheet(f.read(), "错误")[1:]


def test_people_template_round_trip(user, grid_a):
    worker = user("worker_a")
    rows = [person_row(n, grid_a.code, 标签="独居老人") for n in range(1, 6)]
    job = run_import(worker, "people", fill(template_workbook("people", user=worker), rows))

    assert (job.status, job.total_rows, job.created_rows, job.error_rows) == ("done", 5, 5, 0), job.message
    person = Person.objects.get(id_hash=__import__("gridgov.registry.idcard", fromlist=["x"]).id_hash(
        "resident_id", make_id(1)))
    assert person.grid_id == grid_a.pk and person.id_number == make_id(1) and person.phone == make_phone(1)
    assert list(person.tags.values_list("name", flat=True)) == ["独居老人"]
    assert AuditLog.objects.filter(action="registry.import", object_id=str(job.pk)).count() == 1
