"""The Excel import engine: templates filled with openpyxl and imported for real, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from gridgov.common.errors import PermissionDenied, ValidationFailed
from gridgov.common.models import AuditLog, OutboxMessage
from gridgov.common.outbox import outbox_deliver_once
from gridgov.registry.excel import export_workbook, template_workbook
from gridgov.registry.idcard import id_hash
from gridgov.registry.imports import import_job_create
from gridgov.registry.models import ImportJob, Person
from gridgov.registry.tests.import_helpers import (
    fill,
    make_id,
    make_phone,
    person_row,
    plain_workbook,
    read_sheet,
    wrong_check_digit,
    xlsx_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


def upload(user, kind, data: bytes, mode="valid_rows") -> ImportJob:
    return import_job_create(actor=user, kind=kind, mode=mode, upload=SimpleUploadedFile("file.xlsx", data))


def run_import(user, kind, data: bytes, mode="valid_rows") -> ImportJob:
    """Upload, then run the job as `gridgov worker` does: through its outbox message."""
    job = upload(user, kind, data, mode)
    assert outbox_deliver_once(worker_id="test-worker").delivered == 1
    job.refresh_from_db()
    return job


def error_file(job) -> bytes:
    with default_storage.open(job.error_file.name, "rb") as f:
        return f.read()


def errors_by_row(job) -> dict[int, list[tuple[str, str, str]]]:
    out: dict = {}
    for row, column, value, reason in read_sheet(error_file(job), "错误")[1:]:
        out.setdefault(row, []).append((column, value or "", reason))
    return out


def person(number: str) -> Person:
    return Person.objects.get(id_hash=id_hash("resident_id", number))


@pytest.fixture
def worker(user):
    return user("worker_a")


@pytest.fixture
def people_template(worker):
    return template_workbook("people", user=worker)


# ======================================================================================================================
# Template round trip, counts, audit, the uploaded file is not kept
# ======================================================================================================================
def test_people_template_round_trip(worker, grid_a, people_template):
    rows = [person_row(n, grid_a.code, 标签="独居老人") for n in range(1, 6)]
    job = run_import(worker, "people", fill(people_template, rows))

    assert (job.status, job.total_rows, job.created_rows, job.error_rows) == ("done", 5, 5, 0), job.message
    p = person(make_id(1))
    assert p.grid_id == grid_a.pk and p.id_number == make_id(1) and p.phone == make_phone(1)
    assert p.birth_date == dt.date(1985, 1, 2) and p.gender in ("male", "female") and p.residence == "registered"
    assert list(p.tags.values_list("name", flat=True)) == ["独居老人"]
    assert p.created_by == worker
    audit = AuditLog.objects.get(action="registry.import", object_id=str(job.pk))
    assert audit.detail["created"] == 5 and audit.actor == worker
    assert make_id(1) not in str(audit.detail)
    assert not job.file and not job.error_file  # the upload (clear numbers) is deleted once the job ends


def test_template_has_headers_lists_help_and_example(worker, people_template):
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(people_template))
    assert wb.sheetnames[:2] == ["数据", "说明"]
    headers = [c.value for c in wb["数据"][1]]
    assert headers[:4] == ["系统编号", "姓名", "证件类型", "证件号码"] and "标签" in headers
    assert wb["数据"].max_row == 1  # no example row to import by accident: it lives on the 说明 sheet
    assert "必填" in wb["数据"]["B1"].comment.text
    lists = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in wb["数据"].data_validations.dataValidation}
    letter = {h: chr(ord("A") + i) for i, h in enumerate(headers)}
    for header in ("性别", "人口类型", "证件类型", "标签"):
        assert letter[header] in lists, header
    options = wb["选项"]
    assert options.sheet_state == "hidden"
    tag_col = [c.value for c in options[letter["标签"]]][1:]
    assert "社区矫正" in tag_col and "独居老人" in tag_col
    help_text = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "证件号码" in help_text and "11010519491231002X" in help_text and "导出" in help_text


# ======================================================================================================================
# Broken rows: every kind of error by row, column and reason; both modes
# ======================================================================================================================
def _broken_rows(grid_a, grid_b):
    good = [person_row(n, grid_a.code) for n in (101, 102, 103)]
    bad = [
        {**person_row(201, grid_a.code), "姓名": None},                                  # row 5: required
        {**person_row(202, grid_a.code), "证件号码": wrong_check_digit(make_id(202))},   # row 6: check digit
        {**person_row(203, grid_a.code), "人口类型": "外星人"},                           # row 7: choice
        {**person_row(204, grid_b.code)},                                                # row 8: out of scope
        {**person_row(205, "999999999999")},                                             # row 9: no such grid
        {**person_row(206, grid_a.code), "证件类型": "护照", "证件号码": "E12345678",
         "出生日期": "1990-13-45"},                                                      # row 10: date
        {**person_row(207, grid_a.code), "联系电话": "98765"},                            # row 11: phone
        {**person_row(208, grid_a.code), "标签": "外星人"},                               # row 12: tag
        {**person_row(101, grid_a.code)},                                                # row 13: dup of row 2
        {**person_row(209, None), "经度": 0.5, "纬度": 0.5},                             # row 14: point outside
    ]
    return good + bad


EXPECTED_ERRORS = {5: "姓名", 6: "证件号码", 7: "人口类型", 8: "网格编码", 9: "网格编码", 10: "出生日期",
                   11: "联系电话", 12: "标签", 13: "证件号码", 14: "经度"}


def test_every_bad_row_is_reported_by_row_column_and_reason(worker, grid_a, grid_b, people_template):
    data = fill(people_template, _broken_rows(grid_a, grid_b))
    job = run_import(worker, "people", data, mode="valid_rows")

    assert (job.status, job.created_rows, job.error_rows, job.total_rows) == ("done", 3, 10, 13)
    found = errors_by_row(job)
    assert {row: [c for c, _v, _r in errs] for row, errs in found.items()} == {
        row: [column] for row, column in EXPECTED_ERRORS.items()}
    assert all(reason for errs in found.values() for _c, _v, reason in errs)
    assert "2" in found[13][0][2]  # "duplicate of row 2"
    assert "校验" in found[6][0][2] or "check digit" in found[6][0][2]
    for n in (101, 102, 103):
        assert person(make_id(n)).grid_id == grid_a.pk
    assert not Person.objects.filter(id_hash__in=[id_hash("resident_id", make_id(n)) for n in range(201, 210)])


def test_the_error_report_leaks_no_identity_number_or_phone(worker, grid_a, grid_b, people_template):
    rows = _broken_rows(grid_a, grid_b)
    job = run_import(worker, "people", fill(people_template, rows))
    text = xlsx_text(error_file(job))

    clear = [str(r["证件号码"]) for r in rows] + [str(r["联系电话"]) for r in rows]
    leaked = [number for number in clear if number in text]
    assert leaked == []
    masked_row6 = errors_by_row(job)[6][0][1]
    assert masked_row6.startswith("110") and "*" in masked_row6
    assert "*" in errors_by_row(job)[11][0][1] or errors_by_row(job)[11][0][1] == "*****"


def test_all_or_nothing_applies_nothing_when_a_row_is_bad(worker, grid_a, grid_b, people_template):
    before = Person.objects.count()
    job = run_import(worker, "people", fill(people_template, _broken_rows(grid_a, grid_b)), mode="all_or_nothing")

    assert job.status == "refused" and job.created_rows == 0 and job.error_rows == 10
    assert Person.objects.count() == before
    assert set(errors_by_row(job)) == set(EXPECTED_ERRORS)
    assert AuditLog.objects.get(action="registry.import", object_id=str(job.pk)).outcome == "denied"


def test_all_or_nothing_applies_everything_when_every_row_is_good(worker, grid_a, people_template):
    rows = [person_row(n, grid_a.code) for n in range(300, 310)]
    job = run_import(worker, "people", fill(people_template, rows), mode="all_or_nothing")

    assert (job.status, job.created_rows, job.error_rows) == ("done", 10, 0)
    assert all(person(make_id(n)) for n in range(300, 310))


# ======================================================================================================================
# Idempotence, updates only when something changed, de-duplication against the database
# ======================================================================================================================
def test_importing_the_same_file_again_changes_nothing(worker, grid_a, people_template):
    data = fill(people_template, [person_row(n, grid_a.code, 标签="残疾人") for n in range(400, 420)])
    first = run_import(worker, "people", data)
    stamps = dict(Person.objects.filter(created_by=worker).values_list("id", "updated_at"))

    second = run_import(worker, "people", data)

    assert (first.created_rows, first.updated_rows, first.unchanged_rows) == (20, 0, 0)
    assert (second.created_rows, second.updated_rows, second.unchanged_rows) == (0, 0, 20)
    assert dict(Person.objects.filter(created_by=worker).values_list("id", "updated_at")) == stamps


def test_a_row_that_changes_something_is_updated_and_others_stay(worker, grid_a, people_template):
    rows = [person_row(n, grid_a.code) for n in range(500, 505)]
    run_import(worker, "people", fill(people_template, rows))
    rows[2] = {**rows[2], "联系电话": "13700000000", "现住址": "新地址 1 号"}
    rows[3] = {**rows[3], "标签": "低保户"}

    job = run_import(worker, "people", fill(people_template, rows))

    assert (job.created_rows, job.updated_rows, job.unchanged_rows) == (0, 2, 3)
    p = person(make_id(502))
    assert p.phone == "13700000000" and p.current_address == "新地址 1 号"
    assert list(person(make_id(503)).tags.values_list("name", flat=True)) == ["低保户"]


def test_a_person_recorded_elsewhere_is_found_by_id_hash_never_duplicated(worker, user, grid_a, grid_b,
                                                                            people_template):
    number = make_id(600)
    run_import(user("worker_b"), "people", fill(template_workbook("people", user=user("worker_b")),
                                                [person_row(600, grid_b.code)]))
    # the same number typed with spaces and a lower-case x elsewhere is the same person
    job = run_import(worker, "people", fill(people_template, [{**person_row(600, grid_a.code),
                                                              "证件号码": f" {number[:6]} {number[6:]} "}]))

    assert job.error_rows == 1 and job.created_rows == 0
    assert errors_by_row(job)[2][0][0] == "证件号码"
    assert Person.objects.filter(id_hash=id_hash("resident_id", number)).count() == 1
    assert person(number).grid_id == grid_b.pk


# ======================================================================================================================
# Export → edit → import: masked cells mean "unchanged"
# ======================================================================================================================
def test_export_is_masked_scoped_and_reimports_unchanged(worker, user, grid_a, grid_b, people_template):
    rows = [person_row(n, grid_a.code) for n in range(700, 710)]
    run_import(worker, "people", fill(people_template, rows))
    run_import(user("worker_b"), "people", fill(template_workbook("people", user=user("worker_b")),
                                                [person_row(799, grid_b.code)]))

    data, count = export_workbook("people", user=worker)
    text = xlsx_text(data)
    in_grid_a = Person.objects.filter(grid__path__startswith=grid_a.path, is_active=True)
    assert count == in_grid_a.count()
    assert all(p.id_number not in text and (not p.phone or p.phone not in text) for p in in_grid_a)
    assert make_id(799) not in text and "测试799" not in text  # grid B's person is not in worker A's export
    assert "110***********" in text

    again = run_import(worker, "people", data)

    assert again.error_rows == 0, errors_by_row(again)
    assert (again.created_rows, again.updated_rows, again.unchanged_rows) == (0, 0, count)


def test_an_edited_export_updates_what_changed_and_refuses_a_wrong_masked_number(worker, grid_a, people_template):
    import io

    from openpyxl import load_workbook

    run_import(worker, "people", fill(people_template, [person_row(n, grid_a.code) for n in range(800, 803)]))
    data, _count = export_workbook("people", user=worker)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["数据"]
    headers = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(headers)}
    rows = {r[col["姓名"]].value: r for r in ws.iter_rows(min_row=2)}
    rows["测试800"][col["现住址"]].value = "改过的地址"
    rows["测试801"][col["证件号码"]].value = "110***********9999"  # not the stored number's mask
    rows["测试802"][col["联系电话"]].value = make_phone(999)  # a clear new phone replaces the old one
    buf = io.BytesIO()
    wb.save(buf)

    job = run_import(worker, "people", buf.getvalue())

    assert job.updated_rows == 2 and job.error_rows == 1
    assert person(make_id(800)).current_address == "改过的地址"
    assert person(make_id(802)).phone == make_phone(999)
    [(column, value, reason)] = [e for errs in errors_by_row(job).values() for e in errs]
    assert column == "证件号码" and value == "110***********9999" and reason


def test_a_masked_number_cannot_create_a_person(worker, grid_a, people_template):
    job = run_import(worker, "people", fill(people_template, [{**person_row(900, grid_a.code),
                                                              "证件号码": "110***********1234"}]))
    assert job.created_rows == 0 and job.error_rows == 1
    assert errors_by_row(job)[2][0][0] == "证件号码"


# ======================================================================================================================
# The other registries: template → import → export → import again changes nothing
# ======================================================================================================================
def _house_rows(grid_code):
    return [{"网格编码": grid_code, "地址": f"测试路 {n} 号", "房间号": f"{n}01", "房屋用途": "出租", "出租情况": "整租",
             "建筑面积（平方米）": 80 + n, "房主姓名": "李四", "房主电话": make_phone(50 + n)} for n in range(1, 4)]


@pytest.mark.parametrize("kind", ["houses", "households", "units", "organisations"])
def test_other_registries_round_trip(worker, grid_a, kind):
    from gridgov.registry.import_rows import _model
    from gridgov.registry.validation import credit_code_check

    houses = _house_rows(grid_a.code)
    rows = {
        "houses": houses,
        "households": [{"户号": f"HT{n}", "网格编码": grid_a.code, "户类型": "流动人口", "户主姓名": "王五",
                        "房屋地址": houses[n - 1]["地址"], "房间号": houses[n - 1]["房间号"]} for n in range(1, 4)],
        "units": [{"名称": f"测试商店{n}", "统一社会信用代码": (c := f"91440300MA5F{n:05d}") + credit_code_check(c),
                   "单位类型": "个体工商户", "网格编码": grid_a.code, "联系电话": make_phone(70 + n), "从业人数": n,
                   "重点场所": "是"} for n in range(1, 4)],
        "organisations": [{"名称": f"测试志愿队{n}", "组织类型": "志愿服务队", "网格编码": grid_a.code,
                           "联系人": "赵六", "联系电话": make_phone(80 + n), "成员数": 10 * n} for n in range(1, 4)],
    }[kind]
    if kind == "households":
        run_import(worker, "houses", fill(template_workbook("houses", user=worker), houses))

    job = run_import(worker, kind, fill(template_workbook(kind, user=worker), rows))
    assert (job.status, job.created_rows, job.error_rows) == ("done", 3, 0), errors_by_row(job) if job.error_rows \
        else job.message
    again = run_import(worker, kind, fill(template_workbook(kind, user=worker), rows))
    assert (again.created_rows, again.updated_rows, again.unchanged_rows) == (0, 0, 3)

    data, count = export_workbook(kind, user=worker)
    text = xlsx_text(data)
    assert not any(make_phone(n) in text for n in range(40, 90))
    exported = run_import(worker, kind, data)
    assert exported.error_rows == 0, errors_by_row(exported)
    assert (exported.created_rows, exported.updated_rows, exported.unchanged_rows) == (0, 0, count)
    model = _model(kind)
    assert model.objects.filter(grid=grid_a).count() >= 3
    if kind == "households":
        assert model.objects.get(number="HT2").house.address == houses[1]["地址"]
    if kind == "units":
        assert model.objects.get(name="测试商店1").is_key_site is True


def test_houses_by_point_and_address_dedup_ignores_spaces_and_width(worker, grid_a):
    from gridgov.registry.models import House

    rows = [{"经度": grid_a.centroid_lon, "纬度": grid_a.centroid_lat, "地址": "测试路 9 号", "房间号": "101"},
            {"网格编码": grid_a.code, "地址": "测试路９号", "房间号": "101"}]  # the same house, full-width digit
    job = run_import(worker, "houses", fill(template_workbook("houses", user=worker), rows))

    assert job.created_rows == 1 and job.error_rows == 1
    assert "2" in errors_by_row(job)[3][0][2]
    house = House.objects.get(address="测试路 9 号")
    assert house.grid.path.startswith(grid_a.path) and house.lon == grid_a.centroid_lon


# ======================================================================================================================
# The file: not an xlsx, too large, too many rows, wrong headers; who may import
# ======================================================================================================================
def test_a_file_that_is_not_xlsx_is_refused_clearly(worker):
    with pytest.raises(ValidationFailed) as info:
        upload(worker, "people", "姓名,证件号码\n张三,110105198501020011\n".encode())
    assert info.value.code == "not_xlsx" and info.value.field == "file"
    assert not ImportJob.objects.exists()


def test_size_and_row_limits(worker, grid_a, people_template, settings):
    data = fill(people_template, [person_row(n, grid_a.code) for n in range(1000, 1012)])
    settings.GRIDGOV_IMPORT_MAX_BYTES = len(data) - 1
    with pytest.raises(ValidationFailed) as info:
        upload(worker, "people", data)
    assert info.value.code == "too_large"
    settings.GRIDGOV_IMPORT_MAX_BYTES = 10 * 1024 * 1024
    settings.GRIDGOV_IMPORT_MAX_ROWS = 10
    with pytest.raises(ValidationFailed) as info:
        upload(worker, "people", data)
    assert info.value.code == "too_many_rows" and "12" in str(info.value.message)
    assert not ImportJob.objects.exists()


def test_wrong_headers_are_refused(worker):
    with pytest.raises(ValidationFailed) as info:
        upload(worker, "people", plain_workbook(["名字", "身份证"], [["张三", make_id(1)]]))
    assert info.value.code == "bad_headers" and "姓名" in str(info.value.message)
    # a houses template is not a people file
    with pytest.raises(ValidationFailed):
        upload(worker, "people", template_workbook("houses", user=worker))


@pytest.mark.parametrize("persona", ["leader", "dispatcher", "street_dispatcher", "police", "sysadmin",
                                     "auditadmin"])
def test_roles_that_do_not_change_the_registry_may_not_import(user, people_template, persona):
    with pytest.raises(PermissionDenied):
        upload(user(persona), "people", people_template)


# ======================================================================================================================
# One job path: the upload queues the job with its outbox message; the worker runs it, resumes it, hands it back
# ======================================================================================================================
def import_message(job) -> OutboxMessage:
    return OutboxMessage.objects.get(topic="registry.import", dedupe_key=f"registry.import:{job.pk}")


def five_rows(grid_a, start: int, n: int = 5) -> list[dict]:
    return [person_row(k, grid_a.code) for k in range(start, start + n)]


def committed(job) -> tuple:
    job.refresh_from_db()
    return job.status, job.processed_rows, job.created_rows, job.unchanged_rows


def test_an_upload_writes_its_job_and_its_message_together_and_the_worker_runs_it(worker, grid_a, people_template):
    job = upload(worker, "people", fill(people_template, five_rows(grid_a, 1100)))
    message = import_message(job)
    assert job.status == "queued" and message.payload == {"job_id": job.pk} and message.delivered_at is None
    with pytest.raises(RuntimeError), transaction.atomic():  # an upload whose request fails leaves neither
        upload(worker, "people", fill(people_template, five_rows(grid_a, 1150)))
        raise RuntimeError("the request failed after the upload")
    assert list(ImportJob.objects.values_list("id", flat=True)) == [job.pk]
    assert OutboxMessage.objects.filter(topic="registry.import").count() == 1

    assert outbox_deliver_once(worker_id="w").delivered == 1

    assert committed(job) == ("done", 5, 5, 0)
    assert import_message(job).delivered_at is not None
    assert outbox_deliver_once(worker_id="w").claimed == 0


def _stop_after(job, rows: int):
    return lambda: ImportJob.objects.filter(pk=job.pk, processed_rows__gte=rows).exists()


def test_a_stopping_worker_hands_the_import_back_after_a_committed_chunk(worker, grid_a, people_template, settings):
    settings.GRIDGOV_IMPORT_CHUNK_ROWS = 2
    job = upload(worker, "people", fill(people_template, five_rows(grid_a, 1200)))

    outcome = outbox_deliver_once(worker_id="w", stop=_stop_after(job, 2))  # SIGTERM during the first chunk

    assert (outcome.delivered, outcome.failed, outcome.skipped) == (0, 0, 1)
    assert committed(job) == ("running", 2, 2, 0)  # the first chunk and its checkpoint, nothing more
    assert [n for n in range(1200, 1205) if Person.objects.filter(id_hash=id_hash("resident_id", make_id(n)))] == [
        1200, 1201]
    message = import_message(job)
    assert (message.claimed_by, message.claimed_until, message.attempts) == ("", None, 0)  # back in the queue now

    assert outbox_deliver_once(worker_id="next").delivered == 1
    assert committed(job) == ("done", 5, 5, 0)  # resumed: rows 1-2 not written again, none lost


def test_a_dead_workers_import_resumes_from_its_checkpoint_once_its_lease_runs_out(worker, grid_a, people_template,
                                                                                  settings):
    settings.GRIDGOV_IMPORT_CHUNK_ROWS = 2
    job = upload(worker, "people", fill(people_template, five_rows(grid_a, 1300)))
    outbox_deliver_once(worker_id="w", stop=_stop_after(job, 2))
    lease = timezone.now() + dt.timedelta(seconds=60)  # as a worker killed after its first chunk leaves it
    OutboxMessage.objects.filter(pk=import_message(job).pk).update(claimed_by="dead", claimed_until=lease)

    assert outbox_deliver_once(worker_id="B").claimed == 0  # its lease still runs: nobody else touches the job
    assert committed(job) == ("running", 2, 2, 0)

    OutboxMessage.objects.filter(claimed_by="dead").update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert outbox_deliver_once(worker_id="B").delivered == 1
    assert committed(job) == ("done", 5, 5, 0)
    assert all(person(make_id(n)) for n in range(1300, 1305))


def test_a_resumed_import_starts_at_its_checkpoint_whatever_the_chunk_size(worker, grid_a, people_template,
                                                                          settings):
    settings.GRIDGOV_IMPORT_CHUNK_ROWS = 3
    job = upload(worker, "people", fill(people_template, five_rows(grid_a, 1400, n=7)))
    outbox_deliver_once(worker_id="w", stop=_stop_after(job, 3))
    assert committed(job) == ("running", 3, 3, 0)

    settings.GRIDGOV_IMPORT_CHUNK_ROWS = 2  # the next worker is configured otherwise: its chunks straddle row 3
    assert outbox_deliver_once(worker_id="next").delivered == 1
    assert committed(job) == ("done", 7, 7, 0)  # row 4 is created, not counted as "unchanged"


def test_a_worker_that_lost_its_lease_mid_import_writes_no_more_rows(worker, grid_a, people_template, settings,
                                                                    monkeypatch):
    """Worker A stalls after its first chunk (thought dead); its lease runs out and B claims the message. A wakes up
    and writes its second chunk: the lease check in that chunk's transaction fails and the chunk is rolled back."""
    from gridgov.common.outbox import outbox_heartbeat
    from gridgov.registry import imports

    settings.GRIDGOV_IMPORT_CHUNK_ROWS = 2
    job = upload(worker, "people", fill(people_template, five_rows(grid_a, 1500)))
    stalled = []

    def heartbeat(*, checkpoint=False):
        if checkpoint and not stalled:  # right after the first commit: A stalls, B takes the message over
            stalled.append(True)
            OutboxMessage.objects.filter(claimed_by="A").update(
                claimed_by="B", claimed_until=timezone.now() + dt.timedelta(seconds=60))
            return
        outbox_heartbeat(checkpoint=checkpoint)

    monkeypatch.setattr(imports, "outbox_heartbeat", heartbeat)
    outcome = outbox_deliver_once(worker_id="A")

    assert (outcome.delivered, outcome.failed, outcome.skipped) == (0, 0, 1)
    assert committed(job) == ("running", 2, 2, 0)
    assert not Person.objects.filter(id_hash__in=[id_hash("resident_id", make_id(n)) for n in (1502, 1503)])
    message = import_message(job)
    assert (message.claimed_by, message.attempts, message.last_error) == ("B", 0, "")

    monkeypatch.undo()
    OutboxMessage.objects.filter(claimed_by="B").update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert outbox_deliver_once(worker_id="C").delivered == 1
    assert committed(job) == ("done", 5, 5, 0)


def test_a_database_outage_mid_import_is_retried_from_the_checkpoint_not_failed(worker, grid_a, people_template,
                                                                               settings, monkeypatch):
    from django.db import OperationalError

    from gridgov.registry import imports

    settings.GRIDGOV_IMPORT_CHUNK_ROWS = 2
    job = upload(worker, "people", fill(people_template, five_rows(grid_a, 1600)))
    real, calls = imports._resolve, []

    def resolve(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "_resolve", resolve)
    assert outbox_deliver_once(worker_id="w").failed == 1

    assert committed(job) == ("running", 2, 2, 0)  # not "failed": the rows so far stay, the job waits for the retry
    message = import_message(job)
    assert message.attempts == 1 and message.last_error.startswith("OperationalError: server closed")
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    assert outbox_deliver_once(worker_id="w").delivered == 1
    assert committed(job) == ("done", 5, 5, 0)


# ======================================================================================================================
# A few thousand rows: two chunks, bad and duplicate rows among them
# ======================================================================================================================
def test_three_thousand_rows_in_chunks(worker, grid_a, people_template, django_assert_max_num_queries):
    rows = [person_row(n, grid_a.code) for n in range(10_000, 13_000)]
    for i in range(0, 3000, 500):
        rows[i] = {**rows[i], "证件号码": wrong_check_digit(rows[i]["证件号码"])}
    rows[2999] = dict(rows[1])  # a duplicate across the chunk boundary
    data = fill(people_template, rows)

    job = upload(worker, "people", data)
    with django_assert_max_num_queries(120):  # bounded by chunks, never by rows
        assert outbox_deliver_once(worker_id="w").delivered == 1

    job.refresh_from_db()
    assert (job.status, job.total_rows, job.created_rows, job.error_rows) == ("done", 3000, 2993, 7)
    assert job.processed_rows == 3000
    again = run_import(worker, "people", data)
    assert (again.created_rows, again.updated_rows, again.unchanged_rows, again.error_rows) == (0, 0, 2993, 7)
