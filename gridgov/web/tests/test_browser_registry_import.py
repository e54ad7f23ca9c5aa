"""Real Chromium: community staff download the people template, fill it (with some bad rows), upload it in "apply
the valid rows" mode, watch the progress bar reach the end (htmx polling of a job run by a separate `manage.py worker`
process beside the live server, as `gridgov serve` runs one beside gunicorn) and download the error report, whose
rows name the row, column and reason — masked."""

import pytest
from openpyxl import load_workbook

from gridgov.common.tests.worker_process import start_worker, stop
from gridgov.registry.tests.import_helpers import (
    fill,
    make_id,
    person_row,
    read_sheet,
    wrong_check_digit,
    xlsx_text,
)
from gridgov.web.tests.conftest import login, shot

pytestmark = pytest.mark.browser

N_GOOD = 300


def test_community_staff_import_people_with_bad_rows(demo_live_server, page_for, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    worker = start_worker("browser-test", log=tmp_path / "worker.log", env={
        "GRIDGOV_MEDIA_ROOT": str(settings.MEDIA_ROOT), "GRIDGOV_MEDIA_STORAGE": "local",
        "GRIDGOV_IMPORT_CHUNK_ROWS": "50"})  # several chunks: the bar moves
    try:
        _import_people(demo_live_server, page_for, tmp_path)
    finally:
        stop(worker)


def _import_people(demo_live_server, page_for, tmp_path):
    from gridgov.accounts.models import User
    from gridgov.registry.idcard import id_hash
    from gridgov.registry.models import ImportJob, Person

    base = demo_live_server.url
    grid_a = User.objects.get(username="worker_a").grids.get()
    grid_b = User.objects.get(username="worker_b").grids.get()

    page = page_for()
    login(page, base, "community")
    page.goto(f"{base}/registry/import/")
    assert page.locator("h1").inner_text().startswith("Import and export") or "导入" in page.locator("h1").inner_text()
    shot(page, "registry-import-1-page-desktop")
    with page.expect_download() as download:
        page.click("#template-link")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    headers = [c.value for c in load_workbook(template)["数据"][1]]
    assert "证件号码" in headers and "网格编码" in headers

    rows = [person_row(n, grid_a.code) for n in range(5000, 5000 + N_GOOD)]
    bad = {
        N_GOOD + 2: {**person_row(6001, grid_a.code), "证件号码": wrong_check_digit(make_id(6001))},
        N_GOOD + 3: {**person_row(6002, grid_b.code)},              # a grid outside the community
        N_GOOD + 4: {**person_row(6003, grid_a.code), "人口类型": "游客"},
        N_GOOD + 5: dict(rows[0]),                                  # a duplicate of row 2
    }
    upload = tmp_path / "人口导入.xlsx"
    upload.write_bytes(fill(template.read_bytes(), rows + list(bad.values())))

    page.set_input_files("input[name=file]", str(upload))
    page.check("input[name=mode][value=valid_rows]")
    with page.expect_navigation(url="**/registry/import/*/"):
        page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#job-progress[data-status=done]", timeout=60_000)
    assert page.locator("#n-created").inner_text() == str(N_GOOD)
    assert page.locator("#n-errors").inner_text() == str(len(bad))
    assert page.locator(".progress").get_attribute("aria-valuenow") == "100"
    shot(page, "registry-import-2-done-desktop")

    with page.expect_download() as download:
        page.click("#error-report")
    report = download.value.path().read_bytes()
    errors = read_sheet(report, "错误")[1:]
    assert {(row, column) for row, column, _value, _reason in errors} == {
        (N_GOOD + 2, "证件号码"), (N_GOOD + 3, "网格编码"), (N_GOOD + 4, "人口类型"), (N_GOOD + 5, "证件号码")}
    assert all(reason for *_rest, reason in errors)
    text = xlsx_text(report)
    assert not [r["证件号码"] for r in rows + list(bad.values()) if str(r["证件号码"]) in text]

    job = ImportJob.objects.get()
    assert (job.status, job.created_rows, job.error_rows) == ("done", N_GOOD, len(bad))
    assert Person.objects.filter(id_hash=id_hash("resident_id", make_id(5000))).get().grid_id == grid_a.pk
    assert page.errors == []

    phone = page_for(viewport=(390, 844))
    login(phone, base, "community")
    phone.goto(f"{base}/registry/import/{job.pk}/")
    phone.wait_for_selector("#error-report")
    shot(phone, "registry-import-3-done-phone")
    phone.goto(f"{base}/registry/import/?kind=houses")
    shot(phone, "registry-import-4-page-phone")
    assert phone.errors == []
