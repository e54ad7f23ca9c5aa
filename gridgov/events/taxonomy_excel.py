"""The taxonomy as an Excel workbook: export it, edit it, import it back. An import checks every row first and
reports each problem by row, column and reason; a workbook with any bad row changes nothing."""

import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from gridgov.accounts.choices import DepartmentKind
from gridgov.common.audit import audit_record
from gridgov.common.errors import ValidationFailed
from gridgov.common.xlsx import xlsx_open
from gridgov.events.choices import CaseType, CategoryKind, CategoryLevel
from gridgov.events.models import Category, Route

COLUMNS = [  # (key, Chinese header)
    ("code", "编码"), ("name", "名称"), ("level", "层级"), ("parent", "上级编码"), ("kind", "事件/部件"),
    ("case_type", "案件类型"), ("time_limit", "处置时限"), ("time_unit", "时限单位"),
    ("photo_required_report", "上报须附照片"), ("photo_required_close", "结案须附照片"),
    ("departments", "责任部门类型（按顺序，首个牵头）"), ("closing_standard", "结案标准"),
]
LEVELS = {"大类": CategoryLevel.CLASS, "小类": CategoryLevel.SUBCLASS, "细项": CategoryLevel.ITEM}
KINDS = {"事件": CategoryKind.EVENT, "部件": CategoryKind.COMPONENT}
CASE_TYPES = {"即办件": CaseType.IMMEDIATE, "承诺件": CaseType.PROMISED, "协调件": CaseType.COORDINATED}
UNITS = {"工作日": "workday", "工作时": "workhour"}
YES = {"是": True, "否": False}
def _dept_kinds() -> dict[str, str]:
    from django.utils import translation

    with translation.override("zh-hans"):
        return {str(label): value for value, label in DepartmentKind.choices}


def _reverse(mapping: dict) -> dict:
    return {v: k for k, v in mapping.items()}


def taxonomy_export() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "事件分类"
    ws.append([header for _key, header in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    labels = _reverse(_dept_kinds())
    routes: dict[int, list[str]] = {}
    for r in Route.objects.exclude(department_kind="").order_by("priority", "id"):
        routes.setdefault(r.category_id, []).append(labels[r.department_kind])
    for c in Category.objects.select_related("parent").order_by("sort_order", "code"):
        ws.append([c.code, c.name, _reverse(LEVELS)[c.level], c.parent.code if c.parent_id else "",
                   _reverse(KINDS)[c.kind], _reverse(CASE_TYPES)[c.case_type], float(c.time_limit),
                   _reverse(UNITS)[c.time_unit], "是" if c.photo_required_report else "否",
                   "是" if c.photo_required_close else "否", "、".join(routes.get(c.pk, [])), c.closing_standard])
    for column, values in (("C", LEVELS), ("E", KINDS), ("F", CASE_TYPES), ("H", UNITS), ("I", YES), ("J", YES)):
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=False)
        ws.add_data_validation(dv)
        dv.add(f"{column}2:{column}2000")
    for col, width in zip("ABCDEFGHIJKL", (8, 28, 6, 10, 8, 8, 8, 8, 12, 12, 36, 40)):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class TaxonomyImport:
    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)


def _cell_error(row: int, column: str, message) -> dict:
    return {"row": row, "column": dict(COLUMNS)[column], "message": str(message)}


def taxonomy_import(*, actor, data: bytes) -> TaxonomyImport:
    workbook = xlsx_open(data, field="file")  # checks what the zip really unpacks to before reading a cell
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True)) if workbook.worksheets else []
    except Exception as exc:  # openpyxl raises many kinds for a sheet it cannot parse
        raise ValidationFailed(_("The file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again."),
                               field="file", code="not_xlsx") from exc
    finally:
        workbook.close()
    if not rows or [str(h or "").strip() for h in rows[0][:len(COLUMNS)]] != [h for _k, h in COLUMNS]:
        raise ValidationFailed(_("The first row must be the template's headers; download the template again."),
                               field="file")
    result, parsed = TaxonomyImport(), []
    codes_in_file = {str(r[0]).strip() for r in rows[1:] if r and r[0] not in (None, "")}
    known = set(Category.objects.values_list("code", flat=True)) | codes_in_file
    for number, raw in enumerate(rows[1:], start=2):
        if not raw or all(v in (None, "") for v in raw):
            continue
        values = {key: (raw[i] if i < len(raw) else None) for i, (key, _h) in enumerate(COLUMNS)}
        item, errors = _parse_row(number, values, known)
        result.errors += errors
        if not errors:
            parsed.append(item)
    if result.errors:
        return result
    with transaction.atomic():
        existing = {c.code: c for c in Category.objects.all()}
        for order, item in enumerate(sorted(parsed, key=lambda i: list(LEVELS.values()).index(i["level"]))):
            depts = item.pop("departments")
            parent_code = item.pop("parent")
            item["parent"] = existing.get(parent_code) if parent_code else None
            category = existing.get(item["code"])
            if category is None:
                category = Category.objects.create(**item, sort_order=order)
                result.created += 1
            else:
                for key, value in item.items():
                    setattr(category, key, value)
                category.save()
                result.updated += 1
            existing[category.code] = category
            wanted = [(k, 10 * (n + 1), n > 0, None) for n, k in enumerate(depts)]
            kind_routes = category.routes.filter(department__isnull=True)
            if list(kind_routes.order_by("priority", "id").values_list(
                    "department_kind", "priority", "joint", "region_id")) != wanted:
                # rules the workbook leaves as they were keep their rows (and the audit sees no change)
                kind_routes.delete()
                Route.objects.bulk_create([Route(category=category, department_kind=k, priority=priority, joint=joint)
                                           for k, priority, joint, _region in wanted])
        audit_record(actor=actor, action="taxonomy.import", object_type="events.category",
                     detail={"created": result.created, "updated": result.updated})
    from gridgov.events.routing import directory

    transaction.on_commit(directory.invalidate)
    return result


def _parse_row(number: int, v: dict, known: set) -> tuple[dict, list[dict]]:
    errors = []

    def choice(key, mapping):
        text = str(v[key] or "").strip()
        if text not in mapping:
            errors.append(_cell_error(number, key, _("Must be one of: %(values)s.") % {"values": "、".join(mapping)}))
            return None
        return mapping[text]

    code, name = str(v["code"] or "").strip(), str(v["name"] or "").strip()
    if not code or len(code) > 32:
        errors.append(_cell_error(number, "code", _("A code of 1–32 characters is required.")))
    if not name or len(name) > 100:
        errors.append(_cell_error(number, "name", _("A name of 1–100 characters is required.")))
    level = choice("level", LEVELS)
    parent = str(v["parent"] or "").strip()
    if level == CategoryLevel.CLASS and parent:
        errors.append(_cell_error(number, "parent", _("A class has no parent.")))
    if level in (CategoryLevel.SUBCLASS, CategoryLevel.ITEM) and parent not in known:
        errors.append(_cell_error(number, "parent", _("No category has the code %(code)s.") % {"code": parent}))
    kind, case_type, unit = choice("kind", KINDS), choice("case_type", CASE_TYPES), choice("time_unit", UNITS)
    report_photo, close_photo = choice("photo_required_report", YES), choice("photo_required_close", YES)
    try:
        limit = Decimal(str(v["time_limit"]).strip())
        if limit <= 0 or limit > 999:
            raise InvalidOperation
        if unit == "workday" and limit != limit.to_integral_value():
            errors.append(_cell_error(number, "time_limit", _("Working days are whole numbers.")))
    except (InvalidOperation, ValueError):
        errors.append(_cell_error(number, "time_limit", _("Must be a number greater than 0.")))
        limit = None
    depts, dept_kinds = [], _dept_kinds()
    for label in [d.strip() for d in str(v["departments"] or "").replace(",", "、").replace("，", "、").split("、")
                  if d.strip()]:
        if label in dept_kinds or label in DepartmentKind.values:
            depts.append(dept_kinds.get(label, label))
        else:
            errors.append(_cell_error(number, "departments", _("Unknown department kind %(value)s.") % {"value": label}))
    if level in (CategoryLevel.SUBCLASS, CategoryLevel.ITEM) and not depts and not errors:
        errors.append(_cell_error(number, "departments", _("Name at least one responsible department kind.")))
    item = {"code": code, "name": name, "level": level, "parent": parent or None, "kind": kind,
            "case_type": case_type, "time_limit": limit, "time_unit": unit, "photo_required_report": report_photo,
            "photo_required_close": close_photo, "closing_standard": str(v["closing_standard"] or "").strip(),
            "departments": depts}
    return item, errors
