"""The seed taxonomy, its routing, and the Excel round trip."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from gridgov.events.models import Category, Route
from gridgov.events.taxonomy_excel import taxonomy_export, taxonomy_import

pytestmark = pytest.mark.django_db


def test_seed_has_the_towns_six_classes_and_eighteen_items():
    town = Category.objects.filter(level="class", code__in=["01", "02", "03", "04", "05", "06"])
    assert sorted(town.values_list("name", flat=True)) == sorted(
        ["矿产资源盗采", "安全隐患", "环境保护", "矛盾纠纷", "重点人员", "工程建设"])
    assert Category.objects.filter(parent__in=town).count() == 18
    garbage = Category.objects.get(name="积存垃圾")
    assert list(garbage.routes.values_list("department_kind", "joint")) == [("sanitation", False), ("cleaning", True)]
    assert Category.objects.get(name="道路不洁").time_unit == "workhour"  # Jiyuan: 5 working hours
    assert Category.objects.get(name="违法搭建").time_limit == 15


def _workbook(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


def test_export_then_import_changes_nothing():
    data = taxonomy_export()
    ws = _workbook(data)
    assert ws["A1"].value == "编码" and ws.max_row == Category.objects.count() + 1
    before = sorted(Route.objects.values_list("category__code", "department_kind", "priority", "joint"))
    result = taxonomy_import(actor=None, data=data)
    assert result.errors == [] and result.created == 0 and result.updated == Category.objects.count()
    assert sorted(Route.objects.values_list("category__code", "department_kind", "priority", "joint")) == before


def test_bad_rows_are_reported_by_row_and_column_and_nothing_changes():
    data = taxonomy_export()
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    ws["B3"] = ""                 # row 3: no name
    ws["G4"] = 1.5                # row 4: half a working day
    ws["K5"] = "火星办事处"         # row 5: unknown department kind
    ws.append(["X01", "新增小类", "小类", "NOPE", "事件", "承诺件", 3, "工作日", "是", "是", "环卫办", ""])
    buf = io.BytesIO()
    wb.save(buf)
    before = (Category.objects.count(), list(Category.objects.order_by("pk").values_list("name", "time_limit")))
    result = taxonomy_import(actor=None, data=buf.getvalue())
    got = {(e["row"], e["column"]) for e in result.errors}
    assert (3, "名称") in got and (5, "责任部门类型（按顺序，首个牵头）") in got
    assert (ws.max_row, "上级编码") in got
    if ws["H4"].value == "工作日":
        assert (4, "处置时限") in got
    assert all(e["message"] for e in result.errors)
    assert (Category.objects.count(), list(Category.objects.order_by("pk").values_list("name", "time_limit"))) == before


def test_a_new_row_with_departments_creates_a_routed_subclass():
    wb = load_workbook(io.BytesIO(taxonomy_export()))
    wb.worksheets[0].append(["0307", "噪声扰民", "小类", "03", "事件", "承诺件", 2, "工作日", "否", "否",
                             "生态环境办、派出所", "噪声已停止"])
    buf = io.BytesIO()
    wb.save(buf)
    result = taxonomy_import(actor=None, data=buf.getvalue())
    assert result.errors == [] and result.created == 1
    noise = Category.objects.get(code="0307")
    assert noise.parent.code == "03"
    assert list(noise.routes.values_list("department_kind", flat=True)) == ["ecology", "police"]


def test_not_a_workbook_is_refused():
    from gridgov.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        taxonomy_import(actor=None, data=b"code,name\n01,x")
    assert exc.value.field == "file"


def test_admin_excel_pages_are_for_the_system_administrator(as_user):
    sys_admin = as_user("sysadmin")
    export = sys_admin.get("/admin/events/category/excel/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")
    upload = SimpleUploadedFile("t.xlsx", export.content)
    assert sys_admin.post("/admin/events/category/import/", {"file": upload}).status_code == 302
    assert as_user("secadmin").get("/admin/events/category/excel/").status_code == 403  # not their work (三员)
    assert as_user("secadmin").get("/admin/events/category/import/").status_code == 403
    assert as_user("auditadmin").get("/admin/events/category/").status_code == 403
    change = sys_admin.get(f"/admin/events/category/{Category.objects.get(code='0301').pk}/change/")
    assert change.status_code == 200 and "routes-TOTAL_FORMS" in change.content.decode()
