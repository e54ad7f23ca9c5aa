"""The demo district: a deterministic, realistic territory on real coordinates (Shenzhen Bao'an's extent).

``small`` (tests, ``make run``): 2 streets, 6 communities/villages, 24 grids, micro and special grids.
``district``: 10 streets, 120 communities/villages, 4,800 grids (Bao'an's order): about half a minute for the
territory, five minutes with the history.
Both add two thematic layers (警格, 城管网格), one merged layer (多网合一), departments, one account per role,
and a little history (a split and a merge) so that "the territory as of a date" has something to show — then,
unless ``history=False``, about three months of life up to now, each app writing its own part through its own
services: patrols (fieldwork), cases from every channel (events, Open311), visits, disputes, anomalies
(docs/demo.md).
"""

import datetime as dt
import math
import random
from dataclasses import dataclass

import shapely
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import LineString, Polygon
from shapely.ops import split as split_geometry

from gridgov.accounts.choices import DepartmentKind, Employment
from gridgov.accounts.models import Department, User
from gridgov.common.errors import ValidationFailed
from gridgov.common.outbox import outbox_last_id, outbox_settle
from gridgov.common.roles import Role
from gridgov.disputes.demo import disputes_demo_build
from gridgov.events.choices import Channel
from gridgov.events.demo import events_demo_build
from gridgov.events.taxonomy import taxonomy_seed
from gridgov.fieldwork.demo import demo_anomalies
from gridgov.fieldwork.demo import demo_patrols as fieldwork_demo_build
from gridgov.open311.demo import open311_demo_intake
from gridgov.regions import services as region_services
from gridgov.regions.choices import (
    AreaType,
    LayerKind,
    Level,
    RegionStatus,
    SpecialKind,
)
from gridgov.regions.geometry import load, to_geojson
from gridgov.regions.index import geo_index
from gridgov.regions.models import Layer, Region
from gridgov.regions.services import RegionSpec
from gridgov.registry.demo import registry_demo_build
from gridgov.visits.demo import visits_demo_build

DEMO_PASSWORD = "gridgov-demo-2026"
BASE_DATE = dt.date(2024, 1, 1)
SPLIT_DATE = dt.date(2025, 3, 1)
MERGE_DATE = dt.date(2025, 9, 1)
DISTRICT_CODE = "440306"
CENTER = (113.855, 22.675)


@dataclass(frozen=True)
class Scale:
    streets: int
    communities: int  # per street
    grids: int  # per community
    rural_streets: int  # the last N streets are towns with villages
    micro_every: int  # every Nth grid gets micro-grids
    specials_per_community: int


SCALES = {
    "small": Scale(streets=2, communities=3, grids=4, rural_streets=1, micro_every=4, specials_per_community=1),
    "district": Scale(streets=10, communities=12, grids=40, rural_streets=3, micro_every=12,
                      specials_per_community=4),
}

STREET_NAMES = ["新安街道", "石岩街道", "西乡街道", "航城街道", "福永街道", "福海街道", "沙井街道", "新桥街道",
                "松岗街道", "燕罗街道"]
COMMUNITY_A = list("海兴宝安翠灵新富福凤塘桃怀龙华和上下东西南北锦泰盛丰永固")
COMMUNITY_B = list("滨湾城乐岭芝田园围岗湖山苑庭峰景源洲")
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海燕玲文斌辉鹏飞婷颖琳欣怡浩宇晨")
SPECIALS = [(SpecialKind.SCHOOL, "实验学校"), (SpecialKind.HOSPITAL, "人民医院"), (SpecialKind.ENTERPRISE, "电子有限公司"),
            (SpecialKind.HOTEL, "酒店"), (SpecialKind.MARKET, "农贸市场"), (SpecialKind.INSTITUTION, "养老院")]

STREET_DEPARTMENTS = [
    ("PCS", "派出所", DepartmentKind.POLICE), ("ZRZY", "自然资源所", DepartmentKind.NATURAL_RESOURCES),
    ("YJB", "应急办", DepartmentKind.EMERGENCY), ("SCJG", "市场监管所", DepartmentKind.MARKET),
    ("STHJ", "生态环境办", DepartmentKind.ECOLOGY), ("HWB", "环卫办", DepartmentKind.SANITATION),
    ("SHWD", "社会稳定办", DepartmentKind.STABILITY), ("GHJS", "规划建设办", DepartmentKind.PLANNING),
    ("CGZF", "城管执法队", DepartmentKind.URBAN_MGMT),
]
RURAL_DEPARTMENTS = [("NYFW", "农业综合服务中心", DepartmentKind.AGRICULTURE),
                     ("CQZZ", "畜禽整治办", DepartmentKind.LIVESTOCK)]
DISTRICT_DEPARTMENTS = [("RX12345", "12345热线办", DepartmentKind.HOTLINE), ("MZJ", "区民政局", DepartmentKind.CIVIL_AFFAIRS),
                        ("WJJ", "区卫健局", DepartmentKind.HEALTH), ("BJGS", "城市保洁公司", DepartmentKind.CLEANING)]


def _district_polygon(rng: random.Random) -> Polygon:
    points = []
    for i in range(64):
        theta = 2 * math.pi * i / 64
        r = 1 + 0.10 * math.sin(3 * theta + 0.4) + 0.05 * math.cos(5 * theta) + rng.uniform(-0.015, 0.015)
        points.append((CENTER[0] + 0.105 * r * math.cos(theta), CENTER[1] + 0.125 * r * math.sin(theta)))
    return Polygon(points)


def _subdivide(poly, n: int, rng: random.Random) -> list:
    """Split a polygon into about n compact cells (Voronoi with Lloyd relaxation, clipped to the polygon)."""
    if n <= 1:
        return [poly]
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    seeds = []
    while len(seeds) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(poly, x, y):
            seeds.append((x, y))
    cells = []
    for _round in range(3):
        regions = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=poly, ordered=True)
        cells = [c.intersection(poly) for c in regions.geoms]
        cells = [c for c in cells if not c.is_empty and c.area > 0]
        seeds = [(c.centroid.x, c.centroid.y) for c in cells]
    polys = []
    for c in cells:
        if c.geom_type == "GeometryCollection":
            c = shapely.union_all([g for g in c.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
        if c.geom_type == "MultiPolygon":  # keep cells in one piece: give slivers to the largest part's owner
            c = max(c.geoms, key=lambda g: g.area)
        polys.append(c)
    # Reading order (north-west first) so that codes run across the map like real numbering.
    polys.sort(key=lambda g: (-round(g.centroid.y, 3), g.centroid.x))
    # Pieces dropped above leave holes; give each hole to its neighbour so the parent stays covered.
    covered = shapely.union_all(polys)
    rest = poly.difference(covered)
    if not rest.is_empty:
        pieces = getattr(rest, "geoms", [rest])
        for piece in pieces:
            if piece.area == 0:
                continue
            best = max(range(len(polys)), key=lambda i: polys[i].intersection(piece.buffer(1e-9)).area)
            merged = polys[best].union(piece)
            polys[best] = merged if merged.geom_type == "Polygon" else max(merged.geoms, key=lambda g: g.area)
    return polys


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


class DemoBuilder:
    def __init__(self, scale: str = "small", seed: int = 2026, progress=None):
        if scale not in SCALES:
            raise ValidationFailed(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}", field="scale")
        self.scale_name = scale
        self.scale = SCALES[scale]
        self.rng = random.Random(seed)
        self.progress = progress or (lambda n=1, stage=None: None)
        self.specs: list[RegionSpec] = []
        self.geoms: dict[str, object] = {}

    # -- the territory ------------------------------------------------------------------------------------------------
    def _add(self, spec: RegionSpec, geom):
        spec.geometry = to_geojson(geom)
        self.geoms[spec.code] = geom
        self.specs.append(spec)

    def build_territory(self):
        s, rng = self.scale, self.rng
        district = _district_polygon(rng)
        self._add(RegionSpec(code=DISTRICT_CODE, name="宝安区（演示）", level=Level.DISTRICT), district)
        names_used = set()
        for si, street_geom in enumerate(_subdivide(district, s.streets, rng)):
            rural = si >= s.streets - s.rural_streets
            street_code = f"{DISTRICT_CODE}{si + 1:03d}"
            street_name = STREET_NAMES[si % len(STREET_NAMES)]
            self._add(RegionSpec(code=street_code, name=street_name, level=Level.STREET, parent_code=DISTRICT_CODE,
                                 area_type=AreaType.RURAL if rural else AreaType.URBAN), street_geom)
            for ci, comm_geom in enumerate(_subdivide(street_geom, s.communities, rng)):
                village = rural and ci % 3 != 0
                while True:
                    base = rng.choice(COMMUNITY_A) + rng.choice(COMMUNITY_B)
                    if base not in names_used:
                        names_used.add(base)
                        break
                comm_code = f"{street_code}{ci + 1:03d}"
                comm_name = base + ("村" if village else "社区")
                self._add(RegionSpec(code=comm_code, name=comm_name, level=Level.COMMUNITY, parent_code=street_code,
                                     area_type=AreaType.RURAL if village else AreaType.URBAN), comm_geom)
                self._build_grids(comm_code, comm_name, comm_geom, village)
            self.progress(1, "territory")
        self._roll_up_counts()

    def _build_grids(self, comm_code, comm_name, comm_geom, village):
        s, rng = self.scale, self.rng
        for gi, grid_geom in enumerate(_subdivide(comm_geom, s.grids, rng)):
            code = f"{comm_code}{gi + 1:03d}"
            reserved = not village and gi == s.grids - 1 and comm_code.endswith("002")
            if village:
                roll = rng.random()
                households = rng.randint(40, 150) if roll > 0.06 else rng.randint(230, 320)
                groups = "" if roll < 0.02 else f"第{gi + 1}村民小组"
            else:
                roll = rng.random()
                households = rng.randint(320, 480)
                if roll < 0.04:
                    households = rng.randint(520, 720)
                elif roll < 0.08:
                    households = rng.randint(120, 280)
                groups = ""
            if reserved:
                households = 0
            population = int(households * rng.uniform(2.5, 3.3))
            spec = RegionSpec(code=code, name=f"{comm_name}第{gi + 1}网格", level=Level.GRID, parent_code=comm_code,
                              households=households, population=population,
                              area_type=AreaType.RURAL if village else AreaType.URBAN, villager_groups=groups,
                              status=RegionStatus.RESERVED if reserved else RegionStatus.ACTIVE)
            self._add(spec, grid_geom)
            if not reserved and not village and (gi % s.micro_every) == 0:
                parts = _subdivide(grid_geom, 3, rng)
                for mi, micro in enumerate(parts):
                    share = micro.area / grid_geom.area
                    self._add(RegionSpec(code=f"{code}{mi + 1:02d}", name=f"{spec.name}第{mi + 1}微网格",
                                         level=Level.MICRO, parent_code=code, households=int(households * share),
                                         population=int(population * share)), micro)
        # Distinct grids, so that two special grids never sit on the same spot.
        for k, seq in enumerate(rng.sample(range(1, s.grids + 1), min(s.specials_per_community, s.grids))):
            grid_code = f"{comm_code}{seq:03d}"
            grid_geom = self.geoms[grid_code]
            point = grid_geom.representative_point()
            kind, label = SPECIALS[(k + int(comm_code[-3:])) % len(SPECIALS)]
            box = shapely.box(point.x - 0.0007, point.y - 0.0006, point.x + 0.0007, point.y + 0.0006)
            geom = box.intersection(grid_geom)
            if geom.geom_type != "Polygon" or geom.area < 0.5 * box.area:  # the grid is too thin here
                continue
            name = comm_name.replace("社区", "").replace("村", "") + label
            self._add(RegionSpec(code=f"{grid_code}{51 + k:02d}", name=f"{name}专属网格", level=Level.SPECIAL,
                                 parent_code=grid_code, special_kind=kind, households=0,
                                 population=rng.randint(80, 900)), geom)

    def _roll_up_counts(self):
        by_code = {s.code: s for s in self.specs}
        for spec in sorted(self.specs, key=lambda s: -len(s.code)):
            if spec.level == Level.GRID and spec.parent_code:
                parent = by_code[spec.parent_code]
                parent.households += spec.households
                parent.population += spec.population
        for level in (Level.COMMUNITY, Level.STREET):
            for spec in self.specs:
                if spec.level == level:
                    parent = by_code[spec.parent_code]
                    parent.households += spec.households
                    parent.population += spec.population

    # -- writing ------------------------------------------------------------------------------------------------------
    def write_territory(self):
        region_services.regions_bulk_create(actor=None, specs=self.specs, valid_from=BASE_DATE,
                                            reason="演示数据：初始划分", progress=lambda n: self.progress(0))
        geo_index.invalidate()

    def write_history(self):
        """A split and a merge in the first community, so history and 'as of' have something to show."""
        grids = list(Region.objects.filter(level=Level.GRID, status=RegionStatus.ACTIVE,
                                           parent__code=f"{DISTRICT_CODE}001001").order_by("code"))
        target = grids[1]
        geom = load(target.geometry)
        c = geom.centroid
        halves = split_geometry(geom, LineString([(c.x, geom.bounds[1] - 1), (c.x, geom.bounds[3] + 1)]))
        parts = sorted(halves.geoms, key=lambda g: g.centroid.x)
        next_seq = max(int(g.code[-3:]) for g in grids) + 1
        specs = []
        for i, part in enumerate(parts[:2]):
            households = self.rng.randint(360, 460)  # the estate filled up: that is why the grid was split
            specs.append(RegionSpec(code=f"{target.parent.code}{next_seq + i:03d}",
                                    name=f"{target.name}{'东' if i else '西'}片", level=Level.GRID,
                                    households=households, population=int(households * 2.9),
                                    geometry=to_geojson(part)))
        region_services.grid_split(actor=None, region=target, parts=specs, effective_date=SPLIT_DATE,
                                   reason="演示数据：新建小区入住，人口增长，一格拆分为两格")
        grids = [g for g in Region.objects.filter(level=Level.GRID, status=RegionStatus.ACTIVE,
                                                  parent__code=f"{DISTRICT_CODE}001003").order_by("code")]
        pairs = [(a, b) for a in grids for b in grids if a.code < b.code and not a.children.exists()
                 and not b.children.exists() and load(a.geometry).intersects(load(b.geometry))]
        pair = min(pairs, key=lambda p: p[0].households + p[1].households, default=None)
        if pair:
            next_seq = max(int(g.code[-3:]) for g in grids) + 1
            region_services.grids_merge(
                actor=None, regions=list(pair), effective_date=MERGE_DATE, reason="演示数据：两个小网格合并",
                spec=RegionSpec(code=f"{pair[0].parent.code}{next_seq:03d}", name=f"{pair[0].name}（合并）",
                                level=Level.GRID),
            )
        geo_index.invalidate()

    def write_layers(self):
        rng = self.rng
        Layer.objects.create(code="zongzhi", name="综治网格", kind=LayerKind.BASE, color="#1d4ed8", sort_order=0,
                             description="基础网格：区—街道—社区/村—网格—微网格")
        police = Layer.objects.create(code="jingge", name="警格", kind=LayerKind.THEMATIC, color="#0f766e",
                                      sort_order=10, description="派出所社区警务责任区，每个警格覆盖若干综治网格")
        urban = Layer.objects.create(code="chengguan", name="城管网格", kind=LayerKind.THEMATIC, color="#b45309",
                                     sort_order=20, description="城市管理责任网格，按街面划分，可与综治网格交叉")
        merged = Layer.objects.create(code="duowang", name="多网合一网格", kind=LayerKind.MERGED, color="#7c3aed",
                                      sort_order=30, description="由整块综治网格组成，综治网格降为其微网格")
        grids_by_comm = {}
        for g in Region.objects.filter(level=Level.GRID, status=RegionStatus.ACTIVE).order_by("code"):
            grids_by_comm.setdefault(g.parent_id, []).append(g)
        comm_names = dict(Region.objects.filter(level=Level.COMMUNITY).values_list("id", "name"))
        police_items, merged_items = [], []
        for comm_id, grids in grids_by_comm.items():
            for n, start in enumerate(range(0, len(grids), 4)):
                chunk = grids[start:start + 4]
                police_items.append({"code": f"JG{chunk[0].code}", "name": f"{comm_names[comm_id]}警格{n + 1}",
                                     "member_codes": [g.code for g in chunk]})
            i, n = 0, 1
            while i < len(grids):
                size = 2 if rng.random() < 0.6 else 1
                chunk = grids[i:i + size]
                merged_items.append({"code": f"DW{chunk[0].code}", "name": f"{comm_names[comm_id]}综合网格{n}",
                                     "member_codes": [g.code for g in chunk]})
                i, n = i + size, n + 1
        region_services.layer_grids_bulk_create(actor=None, layer=police, items=police_items)
        self.progress(0, "layers")
        region_services.layer_grids_bulk_create(actor=None, layer=merged, items=merged_items)
        urban_items = []
        for street in Region.objects.filter(level=Level.STREET).order_by("code"):
            cells = _subdivide(load(street.geometry), max(2, self.scale.communities * 2), rng)
            for n, cell in enumerate(cells):
                urban_items.append({"code": f"CG{street.code}{n + 1:02d}", "name": f"{street.name}城管{n + 1}号责任区",
                                    "geometry": to_geojson(cell)})
        region_services.layer_grids_bulk_create(actor=None, layer=urban, items=urban_items)
        self.progress(0, "layers")

    def write_departments(self):
        district = Region.objects.get(code=DISTRICT_CODE)
        rows = []
        for code, name, kind in DISTRICT_DEPARTMENTS:
            rows.append(Department(code=code, name=name, kind=kind, region=district, phone=self._phone()))
        for street in Region.objects.filter(level=Level.STREET).order_by("code"):
            short = street.name.replace("街道", "")
            depts = STREET_DEPARTMENTS + (RURAL_DEPARTMENTS if street.area_type == AreaType.RURAL else [])
            for code, name, kind in depts:
                rows.append(Department(code=f"{street.code}-{code}", name=f"{short}{name}", kind=kind, region=street,
                                       phone=self._phone()))
        Department.objects.bulk_create(rows)

    def _phone(self) -> str:
        return f"0755-{self.rng.randint(2000, 2999)}{self.rng.randint(1000, 9999)}"

    def write_accounts(self) -> list[dict]:
        """One account per role (the personas), plus a worker for every active grid. Returns the personas."""
        rng = self.rng
        password_hash = make_password(DEMO_PASSWORD)
        district = Region.objects.get(code=DISTRICT_CODE)
        street1 = Region.objects.filter(level=Level.STREET).order_by("code").first()
        community1 = Region.objects.filter(parent=street1, level=Level.COMMUNITY).order_by("code").first()
        grids = list(Region.objects.filter(level=Level.GRID, status=RegionStatus.ACTIVE).order_by("code"))
        grid_a, grid_b = grids[0], next(g for g in grids if g.parent_id != grids[0].parent_id)
        police = Department.objects.get(code=f"{street1.code}-PCS")
        hotline = Department.objects.get(code="RX12345")
        personas = [
            ("sysadmin", Role.SYS_ADMIN, "系统管理员", {"region": district}),
            ("secadmin", Role.SEC_ADMIN, "安全管理员", {"region": district}),
            ("auditadmin", Role.AUDIT_ADMIN, "审计管理员", {"region": district}),
            ("leader", Role.LEADER, "区领导", {"region": district}),
            ("dispatcher", Role.DISPATCHER, "区指挥中心坐席员", {"region": district}),
            ("street_dispatcher", Role.DISPATCHER, f"{street1.name}坐席员", {"region": street1}),
            ("community", Role.COMMUNITY_STAFF, f"{community1.name}工作人员", {"region": community1}),
            ("gridleader", Role.GRID_LEADER, f"{grid_a.name}网格长", {"region": grid_a, "grids": [grid_a]}),
            ("worker_a", Role.GRID_WORKER, f"{grid_a.name}专职网格员",
             {"grids": [grid_a], "employment": Employment.FULL_TIME}),
            ("worker_b", Role.GRID_WORKER, f"{grid_b.name}专职网格员",
             {"grids": [grid_b], "employment": Employment.FULL_TIME}),
            ("police", Role.DEPT_HANDLER, f"{police.name}承办人", {"department": police}),
            ("hotline", Role.DEPT_HANDLER, "12345热线办承办人", {"department": hotline}),
        ]
        users, grid_links, result = [], [], []
        for username, role, title, binding in personas:
            user = User(username=username, full_name=_person(rng), role=role, password=password_hash,
                        region=binding.get("region"), department=binding.get("department"),
                        employment=binding.get("employment", ""), phone=self._mobile(),
                        is_staff=role in (Role.SYS_ADMIN, Role.SEC_ADMIN, Role.AUDIT_ADMIN))
            users.append(user)
            grid_links.append(binding.get("grids", []))
            result.append({"username": username, "role": str(Role(role).label), "title": title})
        served = {grid_a.pk, grid_b.pk}
        # Every other grid gets a worker; every tenth worker is part-time and also serves the next grid (一人多格).
        pending = [g for g in grids if g.pk not in served]
        i = 0
        while i < len(pending):
            grid = pending[i]
            part_time = i % 10 == 9 and i + 1 < len(pending) and pending[i + 1].parent_id == grid.parent_id
            served_grids = [grid, pending[i + 1]] if part_time else [grid]
            users.append(User(username=f"w{grid.code}", full_name=_person(rng), role=Role.GRID_WORKER,
                              password=password_hash, phone=self._mobile(),
                              employment=Employment.PART_TIME if part_time else Employment.FULL_TIME))
            grid_links.append(served_grids)
            i += len(served_grids)
        for dept in Department.objects.exclude(pk__in=[police.pk, hotline.pk]).order_by("code"):
            users.append(User(username=f"h{dept.code.lower()}", full_name=_person(rng), role=Role.DEPT_HANDLER,
                              password=password_hash, department=dept, phone=self._mobile()))
            grid_links.append([])
        for comm in Region.objects.filter(level=Level.COMMUNITY).exclude(pk=community1.pk).order_by("code"):
            users.append(User(username=f"c{comm.code}", full_name=_person(rng), role=Role.COMMUNITY_STAFF,
                              password=password_hash, region=comm, phone=self._mobile()))
            grid_links.append([])
        User.objects.bulk_create(users, batch_size=1000)
        through = User.grids.through
        through.objects.bulk_create(
            [through(user_id=u.pk, region_id=g.pk) for u, gl in zip(users, grid_links) for g in gl], batch_size=2000
        )
        return result

    def _mobile(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randint(0, 9)}{self.rng.randint(10000000, 99999999)}"


PERSONA_USERNAMES = ["sysadmin", "secadmin", "auditadmin", "leader", "dispatcher", "street_dispatcher", "community",
                     "gridleader", "worker_a", "worker_b", "police", "hotline"]
ALL_HANDLERS_UP_TO = 30  # departments: more than this (the district scale), list the first street's and the district's


def _sees(u: User) -> str:
    """What a persona sees and works on, in a few words."""
    if u.role == Role.SYS_ADMIN:
        return _("master data and settings (handles no cases)")
    if u.role == Role.SEC_ADMIN:
        return _("accounts and permissions")
    if u.role == Role.AUDIT_ADMIN:
        return _("the audit log")
    if u.department_id:
        return _("%(department)s — the cases sent to it") % {"department": u.department.name}
    if u.role in (Role.GRID_WORKER, Role.GRID_LEADER) and u.grids.exists():
        return "、".join(g.name for g in u.grids.order_by("code"))
    if u.region_id and u.region.level == Level.DISTRICT:
        return _("the whole district: %(name)s") % {"name": u.region.name}
    return u.region.name if u.region_id else ""


def demo_personas() -> list[dict]:
    """The demo persona accounts that still have the demo password (empty when this is not a demo database):
    ``[{"username", "role", "name", "title"}]``, ``title`` saying what the account sees."""
    users = {u.username: u for u in User.objects.filter(username__in=PERSONA_USERNAMES, is_active=True)
             .select_related("region", "department")}
    admin = users.get("sysadmin")
    if admin is None or not admin.check_password(DEMO_PASSWORD):
        return []
    return [{"username": name, "role": str(users[name].get_role_display()), "name": users[name].full_name,
             "title": _sees(users[name])} for name in PERSONA_USERNAMES if name in users]


def demo_accounts() -> dict:
    """Every demo account worth printing (empty lists when this is not a demo database): the personas, the
    department handlers (all of them, or at the district scale the first street's and the district's) and how the
    other accounts are named."""
    personas = demo_personas()
    if not personas:
        return {"personas": [], "handlers": [], "more": []}
    district = Region.objects.get(code=DISTRICT_CODE)
    street1 = Region.objects.filter(level=Level.STREET).order_by("code").first()
    departments = Department.objects.filter(is_active=True).order_by("code")
    listed = departments if departments.count() <= ALL_HANDLERS_UP_TO else departments.filter(
        region__in=[district, street1])
    handlers = []
    for dept in listed.select_related("region"):
        user = (User.objects.filter(department=dept, role=Role.DEPT_HANDLER, is_active=True)
                .exclude(username__in=PERSONA_USERNAMES).order_by("username").first())
        if user is not None:
            handlers.append({"username": user.username, "department": dept.name, "name": user.full_name})
    more = []
    if len(listed) < departments.count():
        other = departments.exclude(pk__in=[d.pk for d in listed]).select_related("region").first()
        more.append(_("The handlers of the other streets' departments: h<street code>-<unit>, e.g. %(example)s "
                      "(%(department)s).") % {"example": f"h{other.code.lower()}", "department": other.name})
    worker = User.objects.filter(role=Role.GRID_WORKER, username__startswith="w").order_by("username").first()
    staff = User.objects.filter(role=Role.COMMUNITY_STAFF, username__startswith="c").select_related("region") \
        .order_by("username").first()
    if worker is not None:
        grid = worker.grids.order_by("code").first()
        more.append(_("Grid workers: w<grid code>, e.g. %(example)s (%(grid)s); one in every grid.")
                    % {"example": worker.username, "grid": grid.name if grid else ""})
    if staff is not None:
        more.append(_("Community and village staff: c<community code>, e.g. %(example)s (%(community)s).")
                    % {"example": staff.username, "community": staff.region.name})
    return {"personas": personas, "handlers": handlers, "more": more}


def demo_build(*, scale: str = "small", seed: int = 2026, progress=None, history: bool = True) -> list[dict]:
    """Build the demo district into an empty database; returns the persona accounts.

    ``history``: about three months of life up to now — patrols every working day, cases from every channel
    through the whole workflow, visits and disputes (``docs/demo.md``). Without it (tests that flush the database
    and rebuild it, where seconds count): the territory, accounts and registry, five days of patrols of worker_a and
    worker_b, visits and disputes, and no cases."""
    if getattr(settings, "GRIDGOV_PRODUCTION", False):
        raise ValidationFailed("the demo district and its accounts are never created in production", field="scale")
    if Region.objects.exists():
        raise ValidationFailed("the database already holds a territory; the demo goes into an empty one only",
                               field="scale")
    now = timezone.now()
    today = timezone.localdate(now)
    last_message = outbox_last_id()
    builder = DemoBuilder(scale, seed, progress)
    builder.build_territory()
    with transaction.atomic():
        builder.write_territory()
        builder.write_history()
        builder.write_layers()
        builder.write_departments()
        builder.write_accounts()
        taxonomy_seed()
        registry_demo_build(scale=scale, seed=seed)  # gridgov/registry/demo.py: houses, households, people
    geo_index.invalidate()
    builder.progress(0, "patrols")
    with transaction.atomic():
        patrols = fieldwork_demo_build(today=today, scale=scale, seed=seed, history=history)  # gridgov/fieldwork
    if history:
        builder.progress(0, "cases")
        events_demo_build(scale=scale, seed=seed, now=now, patrols=patrols["patrols"],  # gridgov/events/demo.py
                          intakes={Channel.OPEN311: open311_demo_intake()})  # gridgov/open311/demo.py
    builder.progress(0, "visits")
    visits_demo_build(scale=scale, seed=seed, patrols=patrols["patrols"])  # gridgov/visits: some targets overdue
    builder.progress(0, "disputes")
    disputes_demo_build(scale=scale, seed=seed, history=history)  # gridgov/disputes/demo.py: through the services
    demo_anomalies(today=today)  # gridgov/fieldwork/demo.py: what the nightly detection finds in the records
    outbox_settle(after_id=last_message)  # the notices of the replayed past went out back then
    return demo_personas()
