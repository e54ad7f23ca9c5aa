"""The seed taxonomy: the town's 6 classes / 18 items (seed 002, with their responsible units) and the classes of
digital urban management (数字城管: components and events, time limits after Jiyuan's standard).

Each item lists its department kinds in order: the first found serving the place leads, the others co-handle.
"""

from django.db import transaction

from gridgov.accounts.choices import DepartmentKind as K
from gridgov.common.audit import audit_record
from gridgov.events.choices import CaseType, CategoryKind, CategoryLevel
from gridgov.events.models import Category, Route

I, P, C = CaseType.IMMEDIATE, CaseType.PROMISED, CaseType.COORDINATED
DAY, HOUR = "workday", "workhour"

# (class code, class name, kind, [(code, name, [department kinds], case type, limit, unit, photo to report,
#   photo to close, closing standard)])
SEED = [
    ("01", "矿产资源盗采", CategoryKind.EVENT, [
        ("0101", "非法占用/违法建设/破坏山林耕地", [K.NATURAL_RESOURCES, K.PLANNING], C, 5, DAY, True, True,
         "违法行为已制止，现场已恢复或已立案查处"),
        ("0102", "非法采矿采砂", [K.NATURAL_RESOURCES, K.POLICE, K.PLANNING], C, 3, DAY, True, True,
         "盗采已制止，设备已查扣，现场已封控"),
        ("0103", "开挖地窖窑洞", [K.NATURAL_RESOURCES, K.PLANNING], C, 5, DAY, True, True, "已制止并回填"),
    ]),
    ("02", "安全隐患", CategoryKind.EVENT, [
        ("0201", "非法制造经营烟花爆竹", [K.EMERGENCY, K.MARKET, K.POLICE], C, 1, DAY, True, True,
         "非法物品已收缴，经营已取缔"),
        ("0202", "水情火情消防", [K.AGRICULTURE, K.NATURAL_RESOURCES, K.POLICE], I, 4, HOUR, True, True,
         "险情已排除，现场安全"),
        ("0203", "非法储存销售油气", [K.EMERGENCY, K.MARKET, K.POLICE], C, 1, DAY, True, True,
         "非法储存已清除"),
        ("0204", "“土小”散乱污企业", [K.EMERGENCY, K.ECOLOGY, K.POLICE], C, 5, DAY, True, True,
         "已关停取缔或整改到位"),
        ("0205", "公共设施安全隐患（道路/交通/供电/通信）", [K.PLANNING, K.URBAN_MGMT], P, 2, DAY, True, True,
         "隐患已消除或已设置警示并移交权属单位"),
    ]),
    ("03", "环境保护", CategoryKind.EVENT, [
        ("0301", "积存垃圾", [K.SANITATION, K.CLEANING], P, 1, DAY, True, True, "垃圾清运干净，无积存"),
        ("0302", "外排污水", [K.ECOLOGY], P, 3, DAY, True, True, "排污已停止，源头已整改"),
        ("0303", "焚烧垃圾秸秆", [K.AGRICULTURE, K.ECOLOGY], I, 4, HOUR, True, True, "明火已扑灭，已教育劝导"),
        ("0304", "养殖污染", [K.LIVESTOCK, K.ECOLOGY], P, 5, DAY, True, True, "粪污已清理，设施已整改"),
    ]),
    ("04", "矛盾纠纷", CategoryKind.EVENT, [
        ("0401", "矛盾纠纷", [K.STABILITY, K.POLICE], P, 5, DAY, False, False, "纠纷已调处，双方签订协议或书面说明"),
        ("0402", "信访隐患", [K.STABILITY, K.POLICE], P, 3, DAY, False, False, "已稳控化解，责任人已落实"),
        ("0403", "治安隐患", [K.STABILITY, K.POLICE], P, 3, DAY, False, False, "隐患已消除"),
    ]),
    ("05", "重点人员", CategoryKind.EVENT, [
        ("0501", "邪教/信访重点人员动态", [K.STABILITY, K.POLICE], I, 1, DAY, False, False, "已核实并落实稳控措施"),
        ("0502", "可疑人员车辆", [K.STABILITY, K.POLICE], I, 4, HOUR, False, False, "已核查处置"),
    ]),
    ("06", "工程建设", CategoryKind.EVENT, [
        ("0601", "新建种植养殖棚、房屋建设", [K.PLANNING, K.NATURAL_RESOURCES], C, 5, DAY, True, True,
         "手续齐全或违建已拆除"),
    ]),
    # 数字城管 — components (部件): the owner first.
    ("B1", "公用设施", CategoryKind.COMPONENT, [
        ("B101", "井盖缺失破损", [K.URBAN_MGMT], I, 4, HOUR, True, True, "井盖已补齐，已设警示"),
        ("B102", "路灯损坏", [K.URBAN_MGMT], P, 3, DAY, True, True, "路灯已修复亮灯"),
    ]),
    ("B2", "道路交通", CategoryKind.COMPONENT, [
        ("B201", "交通护栏损坏", [K.URBAN_MGMT, K.POLICE], P, 3, DAY, True, True, "护栏已修复"),
    ]),
    ("B3", "市容环境设施", CategoryKind.COMPONENT, [
        ("B301", "垃圾箱破损", [K.SANITATION], P, 2, DAY, True, True, "垃圾箱已更换或修复"),
    ]),
    ("B4", "园林绿化", CategoryKind.COMPONENT, [
        ("B401", "绿地破坏", [K.URBAN_MGMT], P, 5, DAY, True, True, "绿地已补植恢复"),
    ]),
    ("B5", "房屋土地", CategoryKind.COMPONENT, [
        ("B501", "废弃房屋安全隐患", [K.PLANNING, K.EMERGENCY], C, 10, DAY, True, True, "已加固、拆除或封闭"),
    ]),
    ("B6", "其他设施", CategoryKind.COMPONENT, [
        ("B601", "其他部件问题", [K.URBAN_MGMT], P, 5, DAY, True, True, "已修复"),
    ]),
    # 数字城管 — events (事件): the territory first.
    ("E1", "市容环境", CategoryKind.EVENT, [
        ("E101", "暴露垃圾", [K.SANITATION, K.CLEANING], P, 1, DAY, True, True, "垃圾已清除"),
        ("E102", "道路不洁", [K.SANITATION, K.CLEANING], I, 5, HOUR, True, True, "路面已清扫干净"),
    ]),
    ("E2", "宣传广告", CategoryKind.EVENT, [
        ("E201", "违规张贴小广告", [K.URBAN_MGMT], P, 2, DAY, True, True, "小广告已清除"),
    ]),
    ("E3", "施工管理", CategoryKind.EVENT, [
        ("E301", "违法搭建", [K.URBAN_MGMT, K.PLANNING], C, 15, DAY, True, True, "违建已拆除或已立案查处"),
        ("E302", "施工扰民", [K.URBAN_MGMT], P, 2, DAY, False, False, "施工时间已规范"),
    ]),
    ("E4", "街面秩序", CategoryKind.EVENT, [
        ("E401", "占道经营", [K.URBAN_MGMT], P, 1, DAY, True, True, "占道已清理"),
        ("E402", "乱停乱放", [K.POLICE, K.URBAN_MGMT], P, 1, DAY, True, True, "车辆已挪离"),
    ]),
    ("E5", "突发事件", CategoryKind.EVENT, [
        ("E501", "路面塌陷", [K.PLANNING, K.EMERGENCY, K.POLICE], I, 2, HOUR, True, True, "现场已封闭并抢修"),
    ]),
    # What fits no class goes to an "other" unit where a district has one; the demo has none, so a dispatcher reads
    # these, accepts them (or not) and picks the unit by hand.
    ("E6", "其他事件", CategoryKind.EVENT, [
        ("E601", "其他问题", [K.OTHER], P, 3, DAY, False, False, "已处理或已答复反映人"),
    ]),
]


# Extra questions of a few categories (Open311 service definitions, docs/open311.md): (code, question, datatype,
# required, input hint, choices "key=name").
HURT = ("anyone_hurt", "是否有人受伤？", "singlevaluelist", True, "", "no=无人受伤\nyes=有人受伤\nunknown=不清楚")
COMPONENT_NO = ("component_no", "部件编号", "string", False, "部件标牌上的编号，如 0403-0012；看不到可不填", "")
ATTRIBUTES = {
    "0202": [HURT, ("people_trapped", "被困人数", "number", False, "不清楚可不填", "")],
    "0205": [HURT, ("facility", "设施类型", "singlevaluelist", True, "",
                    "road=道路\ntraffic=交通设施\npower=供电\ntelecom=通信")],
    "B101": [COMPONENT_NO, ("lid_state", "井盖情况", "singlevaluelist", True, "",
                            "missing=缺失\nbroken=破损\nloose=松动或移位"),
             ("on_roadway", "是否位于机动车道", "singlevaluelist", False, "", "yes=是\nno=否")],
    "B102": [COMPONENT_NO, ("fault", "故障现象", "multivaluelist", True, "可多选",
                            "dark=不亮\nday_on=白天常亮\nflicker=闪烁\npole=灯杆倾斜或破损\ncover=灯罩破损")],
    "E501": [HURT, ("people_involved", "涉及人数", "number", False, "受影响或在场的人数", ""),
             ("area_m2", "塌陷面积（平方米）", "number", False, "估计即可", ""),
             ("noticed_at", "发现时间", "datetime", False, "ISO 8601，如 2026-01-05T08:00:00+08:00", "")],
}


def taxonomy_attributes_seed(categories: dict[str, Category]) -> int:
    """The questions of ``ATTRIBUTES`` for the given categories (by code) that have none yet; returns how many."""
    from gridgov.events.attributes import choices_from_text, clean_choices
    from gridgov.events.models import CategoryAttribute

    rows = []
    for code, questions in ATTRIBUTES.items():
        category = categories.get(code)
        if category is None or category.attributes.exists():
            continue
        for order, (key, question, datatype, required, hint, choices) in enumerate(questions, start=1):
            rows.append(CategoryAttribute(category=category, code=key, description=question, datatype=datatype,
                                          required=required, order=order, datatype_description=hint,
                                          values=clean_choices(datatype, choices_from_text(choices))))
    CategoryAttribute.objects.bulk_create(rows)
    return len(rows)


def taxonomy_seed(*, actor=None) -> int:
    """Create the seed taxonomy and its routing rules if there is no taxonomy yet; returns categories created."""
    if Category.objects.exists():
        return 0
    with transaction.atomic():
        created = 0
        for order, (code, name, kind, items) in enumerate(SEED):
            parent = Category.objects.create(code=code, name=name, level=CategoryLevel.CLASS, kind=kind,
                                             sort_order=order * 100, photo_required_report=False,
                                             photo_required_close=False)
            created += 1
            for j, (icode, iname, kinds, case_type, limit, unit, photo_in, photo_out, standard) in enumerate(items):
                item = Category.objects.create(
                    code=icode, name=iname, level=CategoryLevel.SUBCLASS, parent=parent, kind=kind,
                    case_type=case_type, time_limit=limit, time_unit=unit, photo_required_report=photo_in,
                    photo_required_close=photo_out, closing_standard=standard, sort_order=order * 100 + j + 1)
                created += 1
                Route.objects.bulk_create([Route(category=item, department_kind=k, priority=10 * (n + 1),
                                                 joint=n > 0) for n, k in enumerate(kinds)])
        taxonomy_attributes_seed({c.code: c for c in Category.objects.filter(code__in=list(ATTRIBUTES))})
        audit_record(actor=actor, action="taxonomy.seed", object_type="events.category", detail={"count": created})
    from gridgov.events.routing import directory

    transaction.on_commit(directory.invalidate)
    return created
