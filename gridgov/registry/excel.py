"""Excel workbooks of the registries: the column layout of each registry, the downloadable templates (Chinese headers,
drop-down lists, a 说明 sheet with an example row) and the masked exports in the same layout, so an export can be
edited and imported again (docs/registry-import.md).

One layout per registry (``LAYOUTS``): the importer (``gridgov.registry.imports``) reads columns by their header
text, the template and the export write them in this order. Identity numbers and phones are masked in every export;
the importer treats a masked cell that matches the masked form of the stored value as "unchanged".
"""

import io
from dataclasses import dataclass, field

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gridgov.common.masking import mask_id_number, mask_phone
from gridgov.registry import policy
from gridgov.registry.choices import (
    Gender,
    HouseUse,
    IdType,
    ImportKind,
    OrgKind,
    Rental,
    Residence,
    TagGroup,
    UnitKind,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "数据"
HELP_SHEET = "说明"
LISTS_SHEET = "选项"
VALIDATION_ROWS = 200_000  # drop-down lists apply to this many data rows

# Who imports: the roles that change the registry (registry.policy.WRITE_ROLES: grid worker for their own grids,
# grid leader, community staff). Who exports: the roles that read it (policy.READ_ROLES, adding dispatchers and
# leaders), masked, and key-person tags only for those who may see them. docs/registry-import.md.
IMPORT_ROLES = frozenset(policy.WRITE_ROLES)
EXPORT_ROLES = frozenset(policy.READ_ROLES)

# Chinese labels of the stored choice values: the templates are Chinese whatever the UI language is. The importer
# also accepts the stored values themselves (e.g. "male").
GENDER = {"男": Gender.MALE, "女": Gender.FEMALE, "未知": Gender.UNKNOWN}
RESIDENCE = {"户籍人口": Residence.REGISTERED, "流动人口": Residence.FLOATING, "境外人员": Residence.OVERSEAS}
ID_TYPE = {"居民身份证": IdType.RESIDENT_ID, "护照": IdType.PASSPORT, "港澳台居民通行证": IdType.HK_MACAO_TW,
           "外国人永久居留身份证": IdType.FOREIGNER_PR, "其他证件": IdType.OTHER}
HOUSE_USE = {"自住": HouseUse.SELF, "出租": HouseUse.RENTED, "空置": HouseUse.VACANT, "经营": HouseUse.BUSINESS,
             "其他": HouseUse.OTHER}
RENTAL = {"未出租": Rental.NONE, "整租": Rental.WHOLE, "分租": Rental.SHARED, "群租": Rental.GROUP}
UNIT_KIND = {"企业": UnitKind.ENTERPRISE, "个体工商户": UnitKind.SHOP, "机关事业单位": UnitKind.GOVERNMENT,
             "学校幼儿园": UnitKind.SCHOOL, "医院诊所": UnitKind.HOSPITAL, "其他": UnitKind.OTHER}
ORG_KIND = {"社会团体": OrgKind.ASSOCIATION, "基金会": OrgKind.FOUNDATION, "民办非企业单位": OrgKind.NON_PROFIT,
            "社区社会组织": OrgKind.COMMUNITY, "志愿服务队": OrgKind.VOLUNTEER, "其他": OrgKind.OTHER}
YES_NO = {"是": True, "否": False}
TAGS = "tags"  # the choice list of the 标签 column comes from the Tag table


@dataclass(frozen=True)
class Column:
    key: str  # model field (or a pseudo field: grid, household, house_address, house_room, tags, id)
    header: str  # Chinese header, exactly as in the template
    kind: str = "text"  # text | choice | date | int | decimal | float | bool | document | phone | grid | tags | id
    required: bool = False
    choices: dict | str | None = None
    max_length: int | None = None
    note: str = ""  # what the 说明 sheet (and the header's comment) says about the column
    example: object = ""
    width: int = 14
    default: object = None  # applied to new records when the cell is empty


RECORD_ID = Column("id", "系统编号", "id", note="导出时由系统填写，用于修改已有记录；新增记录请留空。", width=10)
GRID = Column("grid", "网格编码", "grid", note="网格编码，或填写经度、纬度由系统定位网格；二者至少填一项。",
              example="{grid_code}", width=18)
LON = Column("lon", "经度", "float", note="WGS-84 经度（可选）；未填网格编码时必填。", example="", width=12)
LAT = Column("lat", "纬度", "float", note="WGS-84 纬度（可选）；未填网格编码时必填。", example="", width=12)


@dataclass(frozen=True)
class Layout:
    kind: str
    title: str  # Chinese name of the registry
    columns: tuple
    key_note: str  # how a row finds the record it updates
    sheet_name: str = DATA_SHEET
    by_header: dict = field(default_factory=dict)

    def __post_init__(self):
        self.by_header.update({c.header: c for c in self.columns})

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


LAYOUTS = {
    ImportKind.PEOPLE: Layout(ImportKind.PEOPLE, "实有人口", (
        RECORD_ID,
        Column("name", "姓名", required=True, max_length=64, note="必填。", example="张三", width=10),
        Column("id_type", "证件类型", "choice", choices=ID_TYPE, default=IdType.RESIDENT_ID,
               note="空白视为居民身份证。", example="居民身份证", width=16),
        Column("id_number", "证件号码", "document", required=True,
               note="必填。居民身份证按 GB 11643 校验 18 位号码及校验码；导出文件中为脱敏号码，原样保留表示不修改。",
               example="{id_number}", width=22),
        Column("gender", "性别", "choice", choices=GENDER, default=Gender.UNKNOWN,
               note="居民身份证可不填，由号码推出；填写时须与号码一致。", example="男", width=6),
        Column("birth_date", "出生日期", "date", note="日期格式，如 1990-03-07；居民身份证可不填。",
               example="", width=12),
        Column("ethnicity", "民族", max_length=16, example="汉族", width=8),
        Column("residence", "人口类型", "choice", required=True, choices=RESIDENCE,
               note="必填：户籍人口、流动人口或境外人员。", example="户籍人口", width=10),
        Column("phone", "联系电话", "phone", note="手机或固话；导出文件中为脱敏号码，原样保留表示不修改。",
               example="13812345678", width=14),
        GRID, LON, LAT,
        Column("household", "户号", note="已登记的户号（先导入户），可选。", example="", width=14),
        Column("relation", "与户主关系", max_length=16, example="户主", width=10),
        Column("registered_address", "户籍地址", max_length=200, example="", width=24),
        Column("current_address", "现住址", max_length=200, example="幸福路 8 号 3 栋 502", width=24),
        Column("workplace", "工作单位", max_length=100, example="", width=18),
        Column("nationality", "国籍", max_length=32, note="境外人员填写。", example="", width=10),
        Column("tags", "标签", "tags", choices=TAGS,
               note="重点人员或关爱对象标签，多个用顿号（、）分隔；导入只增加标签，不删除已有标签。",
               example="", width=20),
    ), key_note="证件类型 + 证件号码（同一人只登记一次）；或系统编号"),
    ImportKind.HOUSES: Layout(ImportKind.HOUSES, "房屋", (
        RECORD_ID, GRID, LON, LAT,
        Column("address", "地址", required=True, max_length=200, note="必填。", example="幸福路 8 号", width=24),
        Column("building", "楼栋", max_length=100, example="3 栋", width=10),
        Column("room", "房间号", max_length=50, note="地址 + 房间号确定一套房屋。", example="502", width=10),
        Column("use", "房屋用途", "choice", choices=HOUSE_USE, default=HouseUse.SELF, example="出租", width=10),
        Column("rental", "出租情况", "choice", choices=RENTAL, default=Rental.NONE, example="整租", width=10),
        Column("area_m2", "建筑面积（平方米）", "decimal", note="数字，如 89.5。", example="89.5", width=12),
        Column("owner_name", "房主姓名", max_length=64, example="李四", width=10),
        Column("owner_phone", "房主电话", "phone", note="导出文件中为脱敏号码，原样保留表示不修改。",
               example="13912345678", width=14),
    ), key_note="地址 + 房间号（全角半角、空格不计）；或系统编号"),
    ImportKind.HOUSEHOLDS: Layout(ImportKind.HOUSEHOLDS, "户", (
        RECORD_ID,
        Column("number", "户号", required=True, max_length=32, note="必填，全区唯一。", example="H0001", width=14),
        GRID, LON, LAT,
        Column("residence", "户类型", "choice", choices=RESIDENCE, default=Residence.REGISTERED,
               example="户籍人口", width=10),
        Column("head_name", "户主姓名", max_length=64, example="张三", width=10),
        Column("house_address", "房屋地址", max_length=200, note="已登记房屋的地址（可选，先导入房屋）。",
               example="", width=24),
        Column("house_room", "房间号", max_length=50, example="", width=10),
    ), key_note="户号；或系统编号"),
    ImportKind.UNITS: Layout(ImportKind.UNITS, "单位和企业", (
        RECORD_ID,
        Column("name", "名称", required=True, max_length=100, note="必填。", example="幸福路便利店", width=22),
        Column("credit_code", "统一社会信用代码", "credit_code", note="18 位，按 GB 32100 校验；填写后用于查重。",
               example="", width=22),
        Column("kind", "单位类型", "choice", choices=UNIT_KIND, default=UnitKind.ENTERPRISE, example="个体工商户",
               width=12),
        GRID, LON, LAT,
        Column("address", "地址", max_length=200, example="幸福路 10 号", width=24),
        Column("legal_person", "法定代表人", max_length=64, example="王五", width=10),
        Column("contact_phone", "联系电话", "phone", note="导出文件中为脱敏号码，原样保留表示不修改。",
               example="", width=14),
        Column("employees", "从业人数", "int", example="3", width=8),
        Column("is_key_site", "重点场所", "bool", choices=YES_NO, default=False, example="否", width=8),
    ), key_note="统一社会信用代码；未填时为网格 + 名称；或系统编号"),
    ImportKind.ORGANISATIONS: Layout(ImportKind.ORGANISATIONS, "社会组织", (
        RECORD_ID,
        Column("name", "名称", required=True, max_length=100, note="必填。", example="幸福社区志愿服务队",
               width=22),
        Column("credit_code", "统一社会信用代码", "credit_code", note="18 位，按 GB 32100 校验；填写后用于查重。",
               example="", width=22),
        Column("kind", "组织类型", "choice", choices=ORG_KIND, default=OrgKind.COMMUNITY, example="志愿服务队",
               width=12),
        GRID, LON, LAT,
        Column("address", "地址", max_length=200, example="", width=24),
        Column("contact_name", "联系人", max_length=64, example="赵六", width=10),
        Column("contact_phone", "联系电话", "phone", note="导出文件中为脱敏号码，原样保留表示不修改。",
               example="", width=14),
        Column("members", "成员数", "int", example="20", width=8),
    ), key_note="统一社会信用代码；未填时为网格 + 名称；或系统编号"),
}
KIND_SLUGS = {str(k): k for k in LAYOUTS}


def tag_names() -> list[str]:
    from gridgov.registry.models import Tag

    return list(Tag.objects.filter(is_active=True).order_by("sort_order", "code").values_list("name", flat=True))


def _choice_labels(column: Column) -> list[str]:
    if column.choices == TAGS:
        return tag_names()
    return list(column.choices or [])


def _example_values(layout: Layout, *, grid_code: str) -> list:
    values = []
    for c in layout.columns:
        value = c.example
        if value == "{grid_code}":
            value = grid_code
        elif value == "{id_number}":
            value = "11010519491231002X"  # the specimen number of GB 11643 (check digit X)
        values.append(value)
    return values


def _note(c: Column) -> str:
    parts = ["必填" if c.required else "选填"]
    if c.note:
        parts.append(c.note)
    if c.choices and c.choices != TAGS:
        parts.append("可选值：" + "、".join(c.choices))
    return "；".join(parts)


def template_workbook(kind: str, *, user) -> bytes:
    """The empty template of one registry: headers (required ones bold red, each with a comment), drop-down lists,
    a 说明 sheet with what every column means and an example row, and a hidden 选项 sheet holding the lists."""
    layout = LAYOUTS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for index, column in enumerate(layout.columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
        cell.comment = Comment(_note(column), "gridgov", width=260, height=120)
        ws.column_dimensions[get_column_letter(index)].width = column.width
        letter = get_column_letter(index)
        if column.kind in ("document", "phone", "credit_code", "grid", "text"):
            ws.column_dimensions[letter].number_format = "@"  # keep leading zeros and long digit strings as text
        labels = _choice_labels(column)
        if column.choices and labels:
            lists.cell(row=1, column=index, value=column.header)
            for r, label in enumerate(labels, start=2):
                lists.cell(row=r, column=index, value=label)
            dv = DataValidation(type="list", formula1=f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(labels) + 1}",
                                allow_blank=True)
            if column.choices == TAGS:  # several tags in one cell: the list is a suggestion, not a rule
                dv.showErrorMessage = False
            else:
                dv.showErrorMessage = True
                dv.errorTitle = column.header
                dv.error = "请从下拉列表中选择：" + "、".join(labels)[:200]
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
    ws.freeze_panes = "A2"
    _help_sheet(wb.create_sheet(HELP_SHEET, 1), layout, user=user)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _help_sheet(ws, layout: Layout, *, user) -> None:
    grid_code = _some_grid_code(user)
    ws.append([f"{layout.title}导入模板说明"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["在“数据”工作表第 2 行起每行填写一条记录，不要修改第 1 行表头；红色表头为必填列。"])
    ws.append([f"查重依据：{layout.key_note}。已登记的记录按文件内容更新，空白单元格表示不修改。"])
    ws.append(["同一文件中重复的记录、校验失败的行都会在错误报告中按行号、列名和原因列出。"])
    ws.append(["网格只能是您管辖范围内的网格。身份证号码和电话在导出文件和错误报告中均已脱敏。"])
    ws.append([])
    ws.append(["列名", "是否必填", "说明"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for c in layout.columns:
        choices = "、".join(_choice_labels(c))
        text = c.note + (f" 可选值：{choices}" if choices else "")
        ws.append([c.header, "必填" if c.required else "选填", text.strip()])
    ws.append([])
    ws.append(["示例（请在“数据”工作表中填写，本行不会被导入）："])
    ws.append([c.header for c in layout.columns])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.append(_example_values(layout, grid_code=grid_code))
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 90


def _some_grid_code(user) -> str:
    from gridgov.regions.models import Region

    grids = Region.objects.filter(level="grid", status="active").restrict(user)
    return grids.order_by("code").values_list("code", flat=True).first() or ""


# -- export ------------------------------------------------------------------------------------------------------------
def export_queryset(kind: str, *, user):
    from gridgov.registry import models as m

    model = {ImportKind.PEOPLE: m.Person, ImportKind.HOUSES: m.House, ImportKind.HOUSEHOLDS: m.Household,
             ImportKind.UNITS: m.Unit, ImportKind.ORGANISATIONS: m.Organisation}[kind]
    qs = model.objects.filter(is_active=True).restrict(user).select_related("grid").order_by("id")
    if kind == ImportKind.PEOPLE:
        qs = qs.select_related("household")
    if kind == ImportKind.HOUSEHOLDS:
        qs = qs.select_related("house")
    return qs


def _label(mapping: dict, value) -> str:
    for label, stored in mapping.items():
        if stored == value:
            return label
    return str(value or "")


def export_row(layout: Layout, obj, *, tags: dict) -> list:
    """One record as the cells of its row: choices as their Chinese labels, personal numbers masked."""
    row = []
    for c in layout.columns:
        if c.key == "id":
            value = obj.pk
        elif c.key == "grid":
            value = obj.grid.code
        elif c.key == "household":
            value = obj.household.number if obj.household_id else ""
        elif c.key == "house_address":
            value = obj.house.address if obj.house_id else ""
        elif c.key == "house_room":
            value = obj.house.room if obj.house_id else ""
        elif c.key == "tags":
            value = "、".join(tags.get(obj.pk, []))
        elif c.key in ("lon", "lat") and not hasattr(obj, c.key):
            value = ""
        else:
            value = getattr(obj, c.key)
            if c.kind == "document":
                value = mask_id_number(value)
            elif c.kind == "phone":
                value = mask_phone(value)
            elif c.kind == "choice":
                value = _label(c.choices, value)
            elif c.kind == "bool":
                value = "是" if value else "否"
            elif c.kind == "decimal" and value is not None:
                value = float(value)
        row.append("" if value is None else value)
    return row


def export_workbook(kind: str, *, user, stream=None) -> tuple[bytes | None, int]:
    """The records of one registry in the user's area, in the template's layout (write-only, so memory stays flat
    however many rows). Returns (bytes, rows); with ``stream`` (a binary file) the workbook is written there."""
    from gridgov.registry.models import PersonTag

    layout = LAYOUTS[kind]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    header = []
    for column in layout.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        header.append(cell)
    for index, column in enumerate(layout.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    ws.append(header)
    qs = export_queryset(kind, user=user)
    count = 0
    batch: list = []

    def flush():
        tags: dict[int, list[str]] = {}
        if kind == ImportKind.PEOPLE and batch:
            links = PersonTag.objects.filter(person_id__in=[o.pk for o in batch])
            if not policy.can_see_key_tags(user):
                links = links.exclude(tag__group=TagGroup.KEY)
            for person_id, name in (links
                                    .order_by("tag__sort_order", "tag__code").values_list("person_id", "tag__name")):
                tags.setdefault(person_id, []).append(name)
        for obj in batch:
            ws.append(export_row(layout, obj, tags=tags))
        batch.clear()

    for obj in qs.iterator(chunk_size=2000):
        batch.append(obj)
        count += 1
        if len(batch) >= 2000:
            flush()
    flush()
    info = wb.create_sheet(HELP_SHEET)
    info.append([f"{layout.title}导出（已脱敏）", timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    info.append(["证件号码、电话为脱敏号码：修改后重新导入时，原样保留的脱敏号码表示不修改；要更正请填写完整号码。"])
    info.append([f"共 {count} 条记录。系统编号列用于修改已有记录，请勿改动。"])
    if stream is not None:
        wb.save(stream)
        return None, count
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), count


def registry_export(*, actor, kind: str, ip: str | None = None) -> tuple[bytes, int]:
    """The masked export of one registry within the actor's area, audited (who exported what, how many rows)."""
    from django.db import transaction
    from django.utils.translation import gettext as _

    from gridgov.common.audit import audit_record
    from gridgov.common.errors import PermissionDenied, ValidationFailed

    if not policy.can_read(actor):
        raise PermissionDenied(_("Your role does not read the registry."))
    if kind not in LAYOUTS:
        raise ValidationFailed(_("Unknown registry."), field="kind")
    data, count = export_workbook(kind, user=actor)
    with transaction.atomic():
        audit_record(actor=actor, action="registry.export", object_type=f"registry.{kind}", ip=ip,
                     detail={"kind": kind, "rows": count, "masked": True})
    return data, count


def download_name(kind: str, what: str) -> tuple[str, str]:
    """(ASCII file name, Chinese file name) of a template or an export."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    title = LAYOUTS[kind].title
    if what == "template":
        return f"{kind}-template.xlsx", f"{title}导入模板.xlsx"
    return f"{kind}-export-{stamp}.xlsx", f"{title}导出-{stamp}.xlsx"
