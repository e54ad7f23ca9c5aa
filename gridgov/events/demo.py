"""Demo case history (事件): about three months of cases up to now, from every channel, each taken in and moved
through the real intake and workflow services at its own moment — so statuses, assignments, deadlines (working
days), indicators, the timeline and the audit log are all what the system itself would have written.

How: every case is a small script (a generator) that yields the moment of its next step. One loop runs all steps of
all cases in time order, travelling there first (``time_machine.travel(moment, tick=False)``: ``timezone.now()``,
``auto_now`` fields and audit rows all read that moment), and drops any step that would fall after now — so the
cases of the last days are still open in every queue, and some past their deadline. The whole history is one
transaction (SQLite writes it in seconds instead of minutes).

* Grid workers report on their patrols (``patrols``, from ``gridgov/fieldwork/demo.py``): on a day they patrolled,
  at a moment and a place of the track, with photos where the category asks for them; some solve it on the spot.
* Citizens (the QR form's service), the 12345 hotline (a demo hotline client), 110 referrals and leader assignments
  (entered by the district dispatcher) and Open311 (``intakes["open311"]``, given by ``gridgov/open311/demo.py``,
  which sits above events) come in at the hours people call: fewer at night and at weekends, a few peaks (a
  rainstorm, a weekend market).
* Fates: dispatched automatically or by hand (其他问题 is routed to an "other" unit; the demo has none), accepted
  or not (with a reason), duplicates linked, returned as misrouted and re-dispatched, extended, supervised when
  overdue, escalated, handled on time or late, verified or sent back for rework, rated (the citizen on their own
  link, otherwise the dispatcher's 回访), unsatisfied then reopened or closed with a reason, archived, a few
  cancelled; joint cases with the assisting departments' own parts.
* The people's queues: a few scripted recent cases make sure that every demo persona has work waiting (the
  dispatchers, the community, worker_a and worker_b, the police station and the 12345 office).

Deterministic: the same seed and the same ``now`` give the same cases, moves and moments (only the citizens' secret
tracking tokens and the hotline client's secret are random). Photos: six tiny generated pictures, stored once under
fixed names and shared by every case that needs one.
"""

import bisect
import datetime as dt
import heapq
import io
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import shapely
import time_machine
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from gridgov.accounts.choices import DepartmentKind
from gridgov.accounts.models import Department, User
from gridgov.common.calendar import deadline_after, is_workday, office_hours
from gridgov.common.images import process_image
from gridgov.common.outbox import outbox_last_id, outbox_settle
from gridgov.common.photos import photo_files_keep
from gridgov.common.roles import Role
from gridgov.events import notifications
from gridgov.events.choices import Channel, PhotoKind, RejectReason, Satisfaction, Status
from gridgov.events.citizen import citizen_rate, citizen_report
from gridgov.events.hotline import HotlineOrderIn, hotline_order_receive
from gridgov.events.models import Assignment, Event, HotlineClient, Photo, Route
from gridgov.events.routing import category_by_code
from gridgov.events.services import Report, event_report, event_transition
from gridgov.events.workflow import warn_at
from gridgov.regions.choices import AreaType, Level, RegionStatus
from gridgov.regions.geometry import load
from gridgov.regions.models import Region

HISTORY_DAYS = 91


@dataclass(frozen=True)
class Volume:
    per_day: float  # cases a day from the channels other than grid workers, on an ordinary weekday
    per_patrol: float  # chance that a patrol turns up something to report


VOLUMES = {"small": Volume(per_day=2.0, per_patrol=0.11), "district": Volume(per_day=40.0, per_patrol=0.11)}
CHANNEL_SHARE = [(Channel.CITIZEN, 0.30), (Channel.HOTLINE, 0.34), (Channel.POLICE_110, 0.12),
                 (Channel.LEADER, 0.05), (Channel.OPEN311, 0.19)]
WEEKDAY = [1.2, 1.05, 1.0, 1.0, 0.95, 0.6, 0.5]  # Monday … Sunday
HOURS = {  # when people call or write, by hour of the day (relative)
    "public": [.2, .1, .1, .1, .1, .2, .5, 1.2, 2.5, 3.5, 3.5, 3, 2, 2.2, 3, 3.2, 3, 2.5, 2, 1.8, 1.5, 1.2, .8, .4],
    "police": [.8, .6, .5, .4, .3, .3, .4, .8, 1.2, 1.4, 1.5, 1.5, 1.4, 1.3, 1.4, 1.5, 1.6, 1.8, 2, 2.3, 2.5, 2.2,
               1.8, 1.2],
    "office": [0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 2, 0, 0, 2, 3, 3, 1, 0, 0, 0, 0, 0, 0],
}

# What each channel reports (subclass code, weight). 其他问题 (E601) goes to an "other" unit, of which the demo
# has none: a dispatcher decides.
CATEGORIES = {
    Channel.WORKER: [("E101", 10), ("E102", 4), ("E201", 8), ("E401", 8), ("E402", 6), ("B101", 2), ("B102", 4),
                     ("B201", 2), ("B301", 3), ("B401", 2), ("0205", 3), ("0401", 5), ("0403", 3), ("0501", 1),
                     ("0502", 2), ("0301", 4), ("0302", 2), ("E301", 3), ("E302", 2), ("0204", 1), ("B501", 1),
                     ("0101", 2), ("0102", 1), ("0303", 3), ("0304", 2), ("0601", 2), ("0202", 1)],
    Channel.CITIZEN: [("E101", 8), ("E302", 6), ("B102", 5), ("B101", 3), ("E402", 5), ("0302", 3), ("E401", 4),
                      ("0401", 3), ("B301", 2), ("0301", 2), ("E601", 4)],
    Channel.HOTLINE: [("E302", 8), ("0401", 6), ("E101", 5), ("0302", 4), ("B102", 4), ("E402", 4), ("0205", 3),
                      ("E301", 2), ("0303", 1), ("E601", 6)],
    Channel.POLICE_110: [("0401", 8), ("0403", 6), ("E402", 5), ("0502", 3), ("E302", 3), ("0201", 1)],
    Channel.LEADER: [("E301", 4), ("0204", 3), ("B501", 3), ("0205", 3), ("0101", 2), ("0601", 1)],
    Channel.OPEN311: [("B101", 3), ("B102", 6), ("B301", 3), ("E101", 5), ("E201", 4), ("E402", 4), ("B201", 2),
                      ("E601", 2)],
}
RURAL_ONLY = {"0101", "0102", "0103", "0303", "0304", "0601", "0202"}
ON_THE_SPOT = {"E101", "E102", "E201", "E401", "E402", "B301"}  # small enough for the worker to solve at once
STORM = [("B101", 4), ("0205", 4), ("E501", 2), ("E101", 3), ("B401", 3), ("B102", 2)]  # after a rainstorm

PLACES = ["宝安大道", "新安六路", "创业二路", "建安一路", "前进二路", "兴华路", "上川路", "公园路", "裕安路", "新湖路"]
TEXTS = {
    "E101": ["{p}路边有一堆生活垃圾无人清运，已有异味。", "{p}公交站旁暴露垃圾，影响市容。", "{p}绿化带内堆放装修垃圾。"],
    "E102": ["{p}人行道有大片油污和泥沙，行人容易滑倒。", "{p}路面散落建筑渣土，未清扫。"],
    "E201": ["{p}电线杆和墙面贴满小广告。", "{p}小区门口张贴大量办证、贷款小广告。"],
    "E401": ["{p}有流动摊贩占用人行道经营水果。", "{p}餐饮店在门前人行道摆桌经营。"],
    "E402": ["{p}多辆电动车乱停放，堵塞消防通道。", "{p}小区门口车辆乱停，影响通行。"],
    "E301": ["{p}某楼顶正在搭建铁皮房，疑似违法建设。", "{p}临街商铺私自扩建雨棚。"],
    "E302": ["{p}工地夜间施工，噪音扰民，居民无法休息。", "{p}工地早上六点就开始施工，噪音很大。"],
    "E501": ["{p}路面出现塌陷，面积约两平方米，已有车辆避让。"],
    "B101": ["{p}井盖缺失，存在安全隐患。", "{p}人行道井盖破损下陷。"],
    "B102": ["{p}连续三盏路灯不亮，夜间行人不便。", "{p}路灯杆倾斜，灯罩破损。"],
    "B201": ["{p}交通护栏被撞倒，未修复。"],
    "B301": ["{p}垃圾箱破损，垃圾散落一地。"],
    "B401": ["{p}绿化带被车辆碾压，植被破坏。", "{p}行道树被风吹倒压在绿地上。"],
    "B501": ["{p}一栋废弃旧房外墙开裂，有倒塌风险。"],
    "0101": ["{p}附近有人占用耕地堆放建材。", "{p}山边有人擅自开挖平整土地。"],
    "0102": ["{p}河道有人夜间抽采河沙。"],
    "0103": ["{p}山坡上有人开挖地窖。"],
    "0201": ["{p}一间铺面疑似储存销售烟花爆竹。"],
    "0202": ["{p}山脚有烟火，疑似山火苗头。", "{p}仓库旁杂物起火冒烟。"],
    "0204": ["{p}一家小作坊无证生产，排放刺鼻气味。"],
    "0205": ["{p}人行天桥栏杆松动，存在安全隐患。", "{p}路边电箱门敞开，电线裸露。"],
    "0301": ["{p}小区后巷积存垃圾多日未清。"],
    "0302": ["{p}有餐饮店将污水直排雨水井。", "{p}河涌排水口排出黑臭污水。"],
    "0303": ["{p}田边有人焚烧秸秆，浓烟较大。"],
    "0304": ["{p}养猪场粪污外溢，臭味严重。"],
    "0401": ["{p}两户邻居因楼上漏水发生争吵，情绪激动。", "{p}租客与房东因押金退还发生纠纷。",
             "{p}两名商户因摊位边界争执。"],
    "0402": ["{p}有群众多次反映拆迁补偿问题，情绪不稳。"],
    "0403": ["{p}出租屋内聚集多名可疑人员，深夜喧哗。", "{p}小区门禁损坏，陌生人随意进出。"],
    "0501": ["{p}信访重点人员近期情绪波动，扬言上访。"],
    "0502": ["{p}一辆无牌面包车连续多日停放，车内有人出入。"],
    "0601": ["{p}农田里新建了养殖大棚，未见审批手续。"],
    "E601": ["{p}居民咨询小区加装电梯的补贴政策。", "{p}反映某培训机构退费难。", "{p}反映小区楼道灯长期不亮，物业推诿。",
             "{p}反映宠物狗半夜狂吠扰民。"],
}
# 其他问题 goes where its words point: the 12345 office answers enquiries, the others go to a street office.
OTHER_LEADS = {0: DepartmentKind.HOTLINE, 1: DepartmentKind.MARKET, 2: DepartmentKind.URBAN_MGMT,
               3: DepartmentKind.STABILITY}
NAMES = ["张伟", "王芳", "李娜", "刘强", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞", "徐涛", "孙丽", "郭鹏", "何婷"]
REJECTS = [(RejectReason.INVALID, "经电话回访核实，反映的情况不存在。"),
           (RejectReason.OUT_OF_SCOPE, "属于合同纠纷，建议通过司法途径解决，不属于网格化管理事项。"),
           (RejectReason.OUT_OF_SCOPE, "属于企业内部管理事项，已告知反映人向行业主管部门反映。")]
RETURNS = ["经核实不属于本部门职责范围，请重新派遣。", "该设施属权属单位管理，非本部门职责，退回重派。"]
EXTENSIONS = ["需协调权属单位及施工队伍，申请延期。", "涉及多部门联合处置，材料尚未齐备，申请延期。"]
REWORKS = ["现场核查仍有残留，整改不到位。", "核查发现问题复发，请重新处置。"]
COMMENTS = {Satisfaction.SATISFIED: ["处理及时，很满意。", "", "工作人员态度很好。"],
            Satisfaction.BASIC: ["基本解决了，希望以后多巡查。", ""],
            Satisfaction.UNSATISFIED: ["处理太慢，问题拖了好几天。", "只是临时处理，问题没有根本解决。"]}
CANCELS = ["报事人来电撤回诉求，问题已自行解决。", "录入重复，撤销本件。"]


@dataclass
class Fate:
    """What happens to a case after intake (drawn once, before it starts)."""

    reject: str = ""  # a dispatcher does not accept it, for this reason (only cases waiting for one)
    escalate: bool = False  # a village cannot settle it: up to the street
    returned: bool = False  # the department sends it back as misrouted
    extension: bool = False
    timing: str = "on_time"  # on_time | closed_late (handled in time, verified late) | late
    supervise: bool = False  # when late: the dispatcher (or the leader) supervises it
    rework: bool = False
    rating: str = ""  # "" (never rated) or a Satisfaction
    reopen: bool = False  # after "unsatisfied": reopened (else closed with a reason)
    archive: bool = False
    cancel: bool = False
    stop: str = ""  # scripted cases: the last step to take ("" goes all the way)
    pace: float = 1.0  # scripted cases run faster (their whole story fits in the last hours)


@dataclass
class Spec:
    at: dt.datetime
    channel: str
    code: str
    grid: Region
    lon: float
    lat: float
    text: str
    fate: Fate = field(default_factory=Fate)
    worker: User | None = None  # the reporting grid worker
    self_resolved: bool = False
    other_lead: str = ""  # 其他问题: the kind of department it goes to
    twin: bool = False  # reported on purpose where another report was (a duplicate)


# --- photos -------------------------------------------------------------------------------------------------------
class DemoPhotos:
    """Six small generated pictures (a street scene in blocks of colour), processed and stored once."""

    def __init__(self, seed: int):
        rng = random.Random(seed + 3)
        self.images = []
        for i in range(6):
            im = Image.new("RGB", (320, 240), (rng.randint(150, 220),) * 3)
            draw = ImageDraw.Draw(im)
            draw.rectangle((0, 150, 320, 240), fill=(90 + 10 * i, 90, 95))  # the road
            for _ in range(5):
                x, y = rng.randint(0, 280), rng.randint(40, 170)
                draw.rectangle((x, y, x + rng.randint(20, 60), y + rng.randint(15, 50)),
                               fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=80)
            image = process_image(buf.getvalue())
            file, thumb = photo_files_keep(image, f"photos/demo/{image.sha256[:32]}.jpg")
            self.images.append((image, file, thumb))

    def attach(self, event: Event, kind: str, user, rng: random.Random, transition=None) -> Photo:
        image, file, thumb = self.images[rng.randrange(len(self.images))]
        return Photo.objects.create(event=event, kind=kind, file=file, thumbnail=thumb, sha256=image.sha256,
                                    width=image.width, height=image.height, taken_at=timezone.now(), lon=event.lon,
                                    lat=event.lat, uploaded_by=user if getattr(user, "is_authenticated", False)
                                    else None, transition=transition)


# --- the world the cases happen in ----------------------------------------------------------------------------------
@dataclass
class Place:
    grid: Region
    inner: object  # the grid less a margin, prepared
    worker: User | None
    street: Region
    community: Region
    weight: float


class World:
    """Grids, the people who act on cases and the departments, read once."""

    def __init__(self):
        regions = {r.pk: r for r in Region.objects.filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY])}
        self.district = next(r for r in regions.values() if r.level == Level.DISTRICT)
        workers = {}
        for w in (User.objects.filter(role=Role.GRID_WORKER, is_active=True).prefetch_related("grids")
                  .order_by("username")):
            for g in w.grids.all():
                workers.setdefault(g.pk, w)
        self.places: list[Place] = []
        for grid in Region.objects.filter(level=Level.GRID, status=RegionStatus.ACTIVE).order_by("code"):
            if not grid.geometry or grid.pk not in workers:
                continue
            geom = load(grid.geometry)
            inner = geom.buffer(-0.0003)
            inner = inner if inner.area > geom.area * 0.2 else geom.buffer(-0.00005)
            shapely.prepare(inner)
            community = regions[grid.parent_id]
            self.places.append(Place(grid, inner, workers[grid.pk], regions[community.parent_id], community,
                                     max(grid.population, 300)))
        self.by_grid = {p.grid.pk: p for p in self.places}
        users = {u.username: u for u in User.objects.filter(username__in=[
            "dispatcher", "street_dispatcher", "leader", "community"])}
        self.dispatcher, self.leader = users["dispatcher"], users["leader"]
        self.street_dispatcher = users["street_dispatcher"]
        self.community_staff = {}
        for u in User.objects.filter(role=Role.COMMUNITY_STAFF, is_active=True).order_by("username"):
            self.community_staff.setdefault(u.region_id, u)
        self.handlers = {}
        for u in User.objects.filter(role=Role.DEPT_HANDLER, is_active=True).order_by("username"):
            self.handlers.setdefault(u.department_id, u)
        self.departments = list(Department.objects.filter(is_active=True).select_related("region").order_by("code"))
        self.kinds = {}
        for r in Route.objects.order_by("priority", "id"):
            self.kinds.setdefault(r.category_id, []).append(r.department_kind)

    def desk(self, place: Place, *, village_first: bool = False) -> User:
        """Who accepts and dispatches here: the street's dispatcher, else the district's; a village's own staff
        for what stays in the village (小事不出村)."""
        if village_first and place.community.area_type == AreaType.RURAL:
            staff = self.community_staff.get(place.community.pk)
            if staff is not None:
                return staff
        if self.street_dispatcher.region_id == place.street.pk:
            return self.street_dispatcher
        return self.dispatcher

    def department(self, kind: str, place: Place, *, other_than: int | None = None) -> Department | None:
        """The department of this kind serving the place: the street's own unit first, else the district's."""
        found = [d for d in self.departments if d.kind == kind and d.pk != other_than
                 and d.region_id in (place.street.pk, self.district.pk)]
        return min(found, key=lambda d: d.region_id != place.street.pk, default=None)

    def point(self, place: Place, rng: random.Random) -> tuple[float, float]:
        w, s, e, n = place.inner.bounds
        for _ in range(200):
            x, y = rng.uniform(w, e), rng.uniform(s, n)
            if shapely.contains_xy(place.inner, x, y):
                return round(x, 6), round(y, 6)
        point = place.inner.representative_point()
        return round(point.x, 6), round(point.y, 6)


def _weighted(rng: random.Random, pairs):
    total = sum(w for _v, w in pairs)
    pick = rng.uniform(0, total)
    for value, weight in pairs:
        pick -= weight
        if pick <= 0:
            return value
    return pairs[-1][0]


def _metres(a, b) -> float:
    """Roughly how far apart two specs are (metres; fine at a city's scale)."""
    return math.hypot((a.lon - b.lon) * 111_000 * math.cos(math.radians(a.lat)), (a.lat - b.lat) * 111_000)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _office(at: dt.datetime, rng: random.Random) -> dt.datetime:
    """The moment itself when it falls in office hours on a working day, else a few minutes after the next
    opening."""
    local = timezone.localtime(at)
    periods = office_hours()
    day = local.date()
    for _ in range(40):
        if is_workday(day):
            for start, end in periods:
                opens = local.replace(year=day.year, month=day.month, day=day.day, hour=start.hour,
                                      minute=start.minute, second=0, microsecond=0)
                closes = opens.replace(hour=end.hour, minute=end.minute)
                if local < opens:
                    return opens + dt.timedelta(minutes=rng.randint(3, 40))
                if local < closes:
                    return local
        day += dt.timedelta(days=1)
        local = local.replace(year=day.year, month=day.month, day=day.day, hour=0, minute=0, second=0,
                              microsecond=0)
    return at


def _office_later(at: dt.datetime, rng: random.Random, lo_h: float, hi_h: float, pace: float = 1.0) -> dt.datetime:
    if pace < 1:
        return at + dt.timedelta(minutes=rng.uniform(5, 25))
    return _office(at + dt.timedelta(hours=rng.uniform(lo_h, hi_h)), rng)


def expiring_start(codes: list[str], now: dt.datetime) -> tuple[str, dt.datetime] | None:
    """(category, intake moment) of a case about to expire now: its warning time passed, its deadline not. None when
    no case of these categories can be (just before a week-long holiday the warning of every case falls after it)."""
    for code in codes:
        category = category_by_code(code)
        for hours in range(2, 24 * 40, 3):
            start = now - dt.timedelta(hours=hours)
            due = deadline_after(start, category.time_limit, category.time_unit).due
            if warn_at(start, due) <= now < due:
                return code, start
    return None


EXPIRING = ["0302", "0401", "E301"]


# --- the history ----------------------------------------------------------------------------------------------------
class History:
    def __init__(self, *, scale: str, seed: int, now: dt.datetime, patrols: dict | None,
                 intakes: dict[str, Callable[[Report], Event]] | None, days: int = HISTORY_DAYS):
        self.volume = VOLUMES.get(scale, VOLUMES["small"])
        self.days = days
        self.seed, self.now = seed, now
        self.rng = random.Random(seed + 17)
        self.patrols = patrols or {}
        self.intakes = intakes or {}
        self.world = World()
        self.photos = DemoPhotos(seed)
        self.hotline_client = (HotlineClient.objects.filter(client_id="demo-12345").first()
                               or self._hotline_client())
        self.counter = 0
        self.counts: dict[str, int] = {}

    @staticmethod
    def _hotline_client() -> HotlineClient:
        client = HotlineClient(name="区12345热线（演示）", client_id="demo-12345", callback_url="")
        client.new_secret()
        client.save()
        return client

    # -- planning --------------------------------------------------------------------------------------------------
    def plan(self) -> list[Spec]:
        specs = self._public() + self._workers()
        specs.sort(key=lambda s: s.at)
        specs = self._duplicates(specs)
        scripted = self._scripted()
        rng = random.Random(self.seed + 23)
        for spec in scripted:  # a persona's case must not turn into a duplicate of a nearby one
            if not spec.twin and spec.channel != Channel.WORKER:
                self._keep_apart(spec, specs + scripted, rng)
        return specs + scripted

    def _keep_apart(self, spec: Spec, others: list[Spec], rng: random.Random) -> None:
        """Move the spec until no other report of its category lies within 80 m and a day of it (tries 40 spots)."""
        place = self.world.by_grid[spec.grid.pk]
        for _ in range(40):
            near = [o for o in others if o is not spec and o.code == spec.code
                    and abs(o.at - spec.at) < dt.timedelta(hours=26) and _metres(o, spec) < 80]
            if not near:
                return
            spec.lon, spec.lat = self.world.point(place, rng)

    def _channels(self) -> list[tuple[str, float]]:
        return [(c, share) for c, share in CHANNEL_SHARE if c != Channel.OPEN311 or c in self.intakes]

    def _public(self) -> list[Spec]:
        rng, world = self.rng, self.world
        start = timezone.localdate(self.now) - dt.timedelta(days=self.days)
        storms = set(rng.sample(range(self.days), 2))
        market = rng.randrange(self.days)
        cumulative = list(itertools.accumulate(p.weight for p in world.places))  # where people live
        specs = []
        for n in range(self.days + 1):
            day = start + dt.timedelta(days=n)
            factor = WEEKDAY[day.weekday()] * (1.0 if is_workday(day) or day.weekday() >= 5 else 0.6)
            storm = n in storms
            factor *= 2.2 if storm else (1.6 if n == market else 1.0)
            for _ in range(_poisson(rng, self.volume.per_day * factor)):
                channel = _weighted(rng, self._channels())
                hours = HOURS["office"] if channel == Channel.LEADER else (
                    HOURS["police"] if channel == Channel.POLICE_110 else HOURS["public"])
                if channel == Channel.LEADER and not is_workday(day):
                    channel = Channel.HOTLINE
                    hours = HOURS["public"]
                at = timezone.make_aware(dt.datetime.combine(day, dt.time(_weighted(rng, list(enumerate(hours))),
                                                                          rng.randint(0, 59), rng.randint(0, 59))))
                if at >= self.now:
                    continue
                place = world.places[bisect.bisect_left(cumulative, rng.uniform(0, cumulative[-1]))]
                pool = STORM if storm and rng.random() < 0.6 else CATEGORIES[channel]
                code = self._code(rng, pool, place)
                specs.append(self._spec(rng, at, channel, code, place))
        return specs

    def _code(self, rng, pool, place: Place) -> str:
        for _ in range(20):
            code = _weighted(rng, pool)
            if code not in RURAL_ONLY or place.community.area_type == AreaType.RURAL:
                return code
        return "E101"

    def _spec(self, rng, at, channel, code, place: Place, **kw) -> Spec:
        lon, lat = kw.pop("position", None) or self.world.point(place, rng)
        variants = TEXTS[code]
        k = rng.randrange(len(variants))
        text = variants[k].format(p=f"{place.community.name}{rng.choice(PLACES)}{rng.randint(1, 300)}号附近")
        spec = Spec(at=at, channel=channel, code=code, grid=place.grid, lon=lon, lat=lat, text=text,
                    other_lead=OTHER_LEADS[k % len(OTHER_LEADS)] if code == "E601" else "", **kw)
        if channel == Channel.HOTLINE and code == "E601":
            spec.other_lead = DepartmentKind.HOTLINE
        spec.fate = kw.get("fate") or self._fate(rng, spec, place)
        return spec

    def _fate(self, rng, spec: Spec, place: Place) -> Fate:
        r = rng.random()
        timing = "on_time" if r < 0.84 else ("closed_late" if r < 0.89 else "late")
        rated = rng.random() < (0.7 if spec.channel == Channel.CITIZEN else 0.85)
        rating = _weighted(rng, [(Satisfaction.SATISFIED, 72), (Satisfaction.BASIC, 20),
                                 (Satisfaction.UNSATISFIED, 8)]) if rated else ""
        refuse = spec.code == "E601" and rng.random() < 0.35
        return Fate(reject=rng.choice(REJECTS)[0] if refuse else "",
                    escalate=spec.code == "E601" and place.community.area_type == AreaType.RURAL
                    and rng.random() < 0.5,
                    returned=rng.random() < 0.05, extension=rng.random() < 0.06, timing=timing,
                    supervise=timing == "late" and rng.random() < 0.7, rework=rng.random() < 0.07,
                    rating=rating, reopen=rng.random() < 0.55, archive=rng.random() < 0.35,
                    cancel=rng.random() < 0.015)

    def _workers(self) -> list[Spec]:
        """Reports made on the patrols: the moment and the place come from the worker's track."""
        rng, specs = self.rng, []
        place_of = {}
        for p in self.world.places:  # a worker's first grid: where the track is walked
            if p.worker is not None:
                place_of.setdefault(p.worker.pk, p)
        for worker_id in sorted(self.patrols):
            place = place_of.get(worker_id)
            if place is None:
                continue
            for track in self.patrols[worker_id]:
                n = 1 if rng.random() < self.volume.per_patrol else 0
                n += 1 if n and rng.random() < 0.15 else 0
                for _ in range(n):
                    t, lon, lat = track[rng.randrange(len(track))]
                    at = t + dt.timedelta(seconds=rng.randint(30, 240))
                    if at >= self.now or not shapely.contains_xy(place.inner, lon, lat):
                        continue
                    code = self._code(rng, CATEGORIES[Channel.WORKER], place)
                    spec = self._spec(rng, at, Channel.WORKER, code, place, position=(round(lon, 6), round(lat, 6)),
                                      worker=place.worker)
                    spec.self_resolved = code in ON_THE_SPOT and rng.random() < 0.3
                    specs.append(spec)
        return specs

    def _duplicates(self, specs: list[Spec]) -> list[Spec]:
        """Some problems are reported twice: a second report of the same thing within the day, a few metres away,
        by another channel — intake links it to the first one."""
        rng, out = self.rng, []
        for spec in specs:
            out.append(spec)
            if spec.channel == Channel.WORKER or spec.code in ("E601", "0401", "0403", "0501", "0502") \
                    or rng.random() > 0.05:
                continue
            at = spec.at + dt.timedelta(minutes=rng.randint(20, 600))
            if at >= self.now:
                continue
            place = self.world.by_grid[spec.grid.pk]
            lon = spec.lon + rng.uniform(-0.0001, 0.0001)
            lat = spec.lat + rng.uniform(-0.0001, 0.0001)
            channel = rng.choice([c for c, _s in self._channels() if c not in (Channel.LEADER, spec.channel)])
            out.append(self._spec(rng, at, channel, spec.code, place, position=(lon, lat)))
        out.sort(key=lambda s: s.at)
        return out

    def _scripted(self) -> list[Spec]:
        """Recent cases that leave work in every persona's queue (see the module docstring)."""
        rng, world, now = random.Random(self.seed + 19), self.world, self.now
        by_user = {p.worker.username: p for p in world.places if p.worker is not None}
        a, b = by_user.get("worker_a"), by_user.get("worker_b")
        if a is None or b is None:
            return []
        fast = dict(pace=0.1)

        def spec(hours_ago, channel, code, place, **fate):
            s = self._spec(rng, now - dt.timedelta(hours=hours_ago), channel, code, place,
                           worker=place.worker if channel == Channel.WORKER else None)
            s.fate = Fate(**{**fast, **fate})
            return s

        specs = [
            spec(3, Channel.CITIZEN, "E601", a, stop="reported"),  # 待受理
            spec(1, Channel.HOTLINE, "E601", b, stop="reported"),
            spec(26, Channel.HOTLINE, "E601", a, stop="registered"),  # 待派遣
            spec(4, Channel.CITIZEN, "E601", b, stop="accepted"),  # 待派遣 (accepted, not yet registered)
            spec(30, Channel.CITIZEN, "E601", b, reject=RejectReason.INVALID),  # 不予受理: nothing there
            spec(60, Channel.HOTLINE, "E601", a, reject=RejectReason.OUT_OF_SCOPE),  # 不予受理: not ours
            # one of each of the rarer lives, whatever the chances drew (all finished by now)
            spec(70, Channel.CITIZEN, "E402", b, cancel=True),
            spec(60, Channel.HOTLINE, "E101", b, rating=Satisfaction.UNSATISFIED),  # closed with a reason
            spec(80, Channel.HOTLINE, "B102", a, rating=Satisfaction.UNSATISFIED, reopen=True),
            spec(90, Channel.HOTLINE, "E301", a, extension=True, rating=Satisfaction.SATISFIED),
            spec(48, Channel.CITIZEN, "E101", b, rework=True, rating=Satisfaction.SATISFIED),
            spec(20, Channel.CITIZEN, "E402", a, returned=True, stop="returned"),  # 已退回
            spec(6, Channel.CITIZEN, "E402", a, stop="dispatched"),  # 派出所 待签收
            spec(9, Channel.POLICE_110, "E402", a, stop="signed"),  # 派出所 处置中
            spec(7, Channel.POLICE_110, "0401", a, stop="signed"),  # 社会稳定办 leads, 派出所 assists
            spec(8, Channel.HOTLINE, "E601", a, stop="dispatched"),  # 12345热线办 待签收
            spec(15, Channel.HOTLINE, "E601", b, stop="dispatched"),
            spec(12, Channel.HOTLINE, "E601", a, stop="signed"),  # 12345热线办 处置中
            spec(10, Channel.CITIZEN, "E101", a, stop="handled"),  # worker_a 待核查
            spec(11, Channel.HOTLINE, "B102", b, stop="handled"),  # worker_b 待核查
            spec(30, Channel.HOTLINE, "E302", a, stop="closed"),  # 待回访
            spec(40, Channel.HOTLINE, "E101", a, stop="unsatisfied", rating=Satisfaction.UNSATISFIED),  # 不满意
        ]
        first = spec(20, Channel.HOTLINE, "E302", b, stop="dispatched")  # and a citizen reports it again:
        first.twin = True
        specs += [first, self._spec(rng, first.at + dt.timedelta(hours=2), Channel.CITIZEN, "E302", b,
                                    position=(first.lon + 0.00005, first.lat), twin=True)]  # … a duplicate
        village = next((p for p in world.places if p.community.area_type == AreaType.RURAL), None)
        if village is not None:  # what the village cannot settle goes up to the street (小事不出村、大事不出镇)
            specs.append(spec(50, Channel.HOTLINE, "E601", village, escalate=True, stop="handled"))
        # The worker's own reports, still with the department (made on their last patrol when there is one).
        for place in (a, b):
            track = (self.patrols.get(place.worker.pk) or [[]])[-1]
            if track:
                t, lon, lat = track[len(track) // 2]
                s = self._spec(rng, t, Channel.WORKER, "E401", place, position=(round(lon, 6), round(lat, 6)),
                               worker=place.worker)
            else:
                s = spec(5, Channel.WORKER, "E401", place)
            s.fate = Fate(stop="signed", **fast)
            specs.append(s)
        # Overdue and supervised; about to expire: the moments are found from the deadlines they will get.
        category = category_by_code("E402")
        start = next((now - dt.timedelta(hours=h) for h in range(30, 24 * 30, 6)
                      if deadline_after(now - dt.timedelta(hours=h), category.time_limit,
                                        category.time_unit).due < now - dt.timedelta(hours=3)), None)
        if start is not None:
            s = self._spec(rng, start, Channel.CITIZEN, "E402", a)
            s.fate = Fate(stop="signed", timing="late", supervise=True)
            specs.append(s)
        for place, codes in ((a, EXPIRING), (b, ["0301", *EXPIRING])):
            start = expiring_start(codes, now)
            if start is not None:
                s = self._spec(rng, start[1], Channel.HOTLINE, start[0], place)
                s.fate = Fate(stop="signed", **fast)
                specs.append(s)
        return [s for s in specs if s.at < now]

    # -- running ---------------------------------------------------------------------------------------------------
    def run(self) -> dict:
        specs = self.plan()
        heap = []
        for seq, spec in enumerate(specs):
            script = self._life(spec, random.Random(f"{self.seed}-{seq}"))
            first = next(script)
            heapq.heappush(heap, (first, seq, script))
        while heap:
            at, seq, script = heapq.heappop(heap)
            if at >= self.now:
                continue  # the future: the case stays where it is
            with time_machine.travel(at.timestamp(), tick=False):  # a timestamp: the TZ variable stays
                try:
                    following = next(script)
                except StopIteration:
                    continue
            heapq.heappush(heap, (max(following, at + dt.timedelta(seconds=1)), seq, script))
        return self.counts

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def _move(self, event: Event, actor, action: str, reason: str = "", **data) -> Event:
        self._count(action)
        return event_transition(actor=actor, event_id=event.pk, action=action, version=None, reason=reason,
                                data=data)

    def _intake(self, spec: Spec, rng: random.Random) -> Event:
        report = Report(category_code=spec.code, description=spec.text, lon=spec.lon, lat=spec.lat,
                        channel=spec.channel, occurred_at=timezone.now() - dt.timedelta(minutes=rng.randint(5, 90)))
        name, phone = rng.choice(NAMES), f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        self._count(f"channel:{spec.channel}")
        if spec.channel == Channel.WORKER:
            category = category_by_code(spec.code)
            photos = 2 if spec.self_resolved else (1 if category.photo_required_report else 0)
            report.photo_count, report.self_resolved = photos, spec.self_resolved
            report.after_photo_count = 1 if spec.self_resolved else 0  # one before, one after the fix
            report.occurred_at = None
            event = event_report(actor=spec.worker, report=report)
            if spec.self_resolved:
                self.photos.attach(event, PhotoKind.BEFORE, spec.worker, rng)
                self.photos.attach(event, PhotoKind.AFTER, spec.worker, rng)
            elif photos:
                self.photos.attach(event, PhotoKind.REPORT, spec.worker, rng)
            return event
        if spec.channel == Channel.CITIZEN:
            event = citizen_report(grid=spec.grid, category_code=spec.code, description=spec.text, lon=spec.lon,
                                   lat=spec.lat, name=name if rng.random() < 0.6 else "",
                                   phone=phone if rng.random() < 0.7 else "")
            if rng.random() < 0.4:
                self.photos.attach(event, PhotoKind.REPORT, None, rng)
            return event
        if spec.channel == Channel.HOTLINE:
            self.counter += 1
            order = HotlineOrderIn(order_no=f"GD{timezone.localdate():%Y%m%d}{self.counter:05d}",
                                   category=spec.code, description=spec.text, lon=spec.lon, lat=spec.lat,
                                   citizen_name=name, citizen_phone=phone, occurred_at=report.occurred_at)
            return hotline_order_receive(client=self.hotline_client, order=order)[1]
        if spec.channel in self.intakes:
            report.reporter_name = name
            return self.intakes[spec.channel](report)
        # 110 referrals and leader assignments are entered by the district command centre.
        self.counter += 1
        if spec.channel == Channel.POLICE_110:
            report.external_id = f"110-{timezone.localdate():%Y%m%d}-{self.counter:05d}"
            report.reporter_name, report.reporter_phone = name, phone
        else:
            report.description = f"区领导交办：{spec.text}请尽快核实处置并报告结果。"
            report.reporter_name = self.world.leader.full_name
        return event_report(actor=self.world.dispatcher, report=report)

    # -- a case's life ---------------------------------------------------------------------------------------------
    def _life(self, spec: Spec, rng: random.Random) -> Iterator[dt.datetime]:
        fate, world = spec.fate, self.world
        place = world.by_grid[spec.grid.pk]
        yield spec.at
        event = self._intake(spec, rng)
        self._count(f"intake:{event.status}")
        if fate.stop == "reported":
            return
        if event.status == Status.CLOSED:  # solved on the spot
            if fate.archive:
                yield _office(event.closed_at + dt.timedelta(days=rng.uniform(5, 25)), rng)
                self._move(event, world.desk(place), "archive")
            return
        if event.status == Status.REJECTED:  # a duplicate: nothing more to do
            return
        if event.status == Status.REPORTED:
            desk = world.desk(place, village_first=True)
            if fate.escalate and desk.role == Role.COMMUNITY_STAFF:  # grid → village → street
                yield _office_later(timezone.now(), rng, 0.5, 6, fate.pace)
                event = self._move(event, desk, "escalate", "网格内无法协调解决，提交村委统筹处理。")
                yield _office_later(timezone.now(), rng, 4, 30, fate.pace)
                event = self._move(event, desk, "escalate", "村里无法协调解决，提请街道统筹处理。")
                desk = world.desk(place)
            yield _office_later(timezone.now(), rng, 0.3, 4, fate.pace)
            if fate.reject:
                text = rng.choice([text for reason, text in REJECTS if reason == fate.reject])
                self._move(event, desk, "reject", text, reject_reason=fate.reject)
                return
            event = self._move(event, desk, "accept")
            if fate.stop == "accepted":
                return
            yield timezone.now() + dt.timedelta(minutes=rng.randint(5, 40))
            event = self._move(event, desk, "register")
            if fate.stop == "registered":
                return
            yield timezone.now() + dt.timedelta(minutes=rng.randint(5, 60))
            lead = world.department(spec.other_lead or DepartmentKind.URBAN_MGMT, place)
            event = self._move(event, desk, "dispatch", lead_department=lead.pk)
        if fate.cancel and not fate.stop:
            yield _office_later(timezone.now(), rng, 1, 20, fate.pace)
            self._move(event, world.desk(place), "cancel", rng.choice(CANCELS))
            return
        yield from self._handle(event, spec, place, rng)

    def _handle(self, event: Event, spec: Spec, place: Place, rng: random.Random) -> Iterator[dt.datetime]:
        fate, world = spec.fate, self.world
        if fate.stop == "dispatched":
            return
        desk = world.desk(place)
        if fate.returned:
            yield _office_later(timezone.now(), rng, 0.5, 6, fate.pace)
            lead = event.lead_department_id
            event = self._move(event, world.handlers[lead], "return", rng.choice(RETURNS))
            if fate.stop == "returned":
                return
            yield _office_later(timezone.now(), rng, 0.5, 3, fate.pace)
            again = self._redispatch(event, place, lead)
            event = self._move(event, desk, "dispatch", lead_department=again.pk)
        yield _office_later(timezone.now(), rng, 0.2, 5, fate.pace)
        lead_handler = world.handlers[event.lead_department_id]
        event = self._move(event, lead_handler, "sign")
        # Assisting departments: most sign for their part and report on it; some leave it to the lead.
        assisting = [d for d in Assignment.objects.filter(event=event, active=True, is_lead=False).order_by("id")
                     .values_list("department_id", flat=True) if fate.stop or rng.random() < 0.7]
        for department_id in assisting:
            yield _office_later(timezone.now(), rng, 0.1, 4, fate.pace)
            event = self._move(event, world.handlers[department_id], "sign_part")
        if fate.stop == "signed":
            if fate.supervise and event.deadline < self.now:
                at = _office(event.deadline + dt.timedelta(hours=rng.uniform(1, 5)), rng)
                yield at if at < self.now else event.deadline + (self.now - event.deadline) / 2
                self._move(event, desk, "supervise", "已超期未办结，请加快处置。")
            return
        event = yield from self._until_feedback(event, spec, place, rng, lead_handler, assisting)
        if fate.stop == "handled":
            return
        yield from self._verify_and_rate(event, spec, place, rng, lead_handler)

    def _redispatch(self, event: Event, place: Place, previous: int) -> Department:
        kinds = self.world.kinds.get(event.category_id, []) + [DepartmentKind.URBAN_MGMT, DepartmentKind.STABILITY]
        for kind in kinds:
            department = self.world.department(kind, place, other_than=previous)
            if department is not None:
                return department
        raise LookupError("no other department to dispatch to")

    def _until_feedback(self, event, spec, place, rng, lead_handler, assisting) -> Iterator[dt.datetime]:
        """Sign … feedback, on time or late, with an extension and supervision when the fate says so."""
        fate, world = spec.fate, self.world
        desk = world.desk(place)
        signed = timezone.now()
        if fate.extension and event.deadline > signed:
            yield signed + (event.deadline - signed) * rng.uniform(0.3, 0.7) if fate.pace == 1 else \
                _office_later(signed, rng, 0, 0, fate.pace)
            event = self._move(event, lead_handler, "request_extension", rng.choice(EXTENSIONS))
            yield _office_later(timezone.now(), rng, 0.5, 4, fate.pace)
            if event.deadline > timezone.now():
                event = self._move(event, desk, "approve_extension", "同意延期。",
                                   amount=float(max(event.category.time_limit, 1)))
        start, due = timezone.now(), event.deadline
        if fate.timing == "late":
            at = _office(due + dt.timedelta(hours=rng.uniform(1, 60)), rng)
            if fate.supervise:
                supervise_at = _office(due + dt.timedelta(minutes=rng.randint(20, 240)), rng)
                if supervise_at < at:
                    yield supervise_at
                    event = self._move(event, world.leader if rng.random() < 0.15 else desk, "supervise",
                                       "已超期未办结，请加快处置。")
        elif fate.pace < 1:
            at = start + dt.timedelta(minutes=rng.uniform(10, 40))
        else:
            share = rng.uniform(0.15, 0.7) if fate.timing == "on_time" else rng.uniform(0.6, 0.9)
            at = start + (due - start) * share if due > start else start + dt.timedelta(minutes=10)
        for department_id in [d for d in assisting if rng.random() < 0.8]:
            yield start + (at - start) * rng.uniform(0.3, 0.9)
            event = self._move(event, world.handlers[department_id], "report_part", "本部门已配合完成现场处置。")
        yield at
        return self._feedback(event, lead_handler, rng)

    def _feedback(self, event: Event, handler, rng: random.Random) -> Event:
        category = event.category
        needs_photo = category.photo_required_close
        event = self._move(event, handler, "feedback", f"已到场处置：{category.closing_standard}。",
                           photo_count=1 if needs_photo else 0)
        if needs_photo:
            self.photos.attach(event, PhotoKind.AFTER, handler, rng, transition=event.transitions.last())
        return event

    def _verify_and_rate(self, event, spec, place, rng, lead_handler) -> Iterator[dt.datetime]:
        fate, world = spec.fate, self.world
        desk, verifier = world.desk(place), place.worker
        reworked = False
        while True:
            handled, due = timezone.now(), event.deadline
            if fate.pace < 1:
                yield handled + dt.timedelta(minutes=rng.uniform(5, 25))
            elif fate.timing == "on_time" and due and due > handled:
                yield handled + (due - handled) * rng.uniform(0.1, 0.8)
            elif fate.timing == "closed_late" and due and due > handled:
                yield _office(due + dt.timedelta(hours=rng.uniform(1, 30)), rng)
            else:
                yield handled + dt.timedelta(hours=rng.uniform(1, 20))
            if fate.rework and not reworked:
                reworked = True
                event = self._move(event, verifier, "rework", rng.choice(REWORKS))
                yield _office_later(timezone.now(), rng, 1, 12, fate.pace)
                event = self._feedback(event, lead_handler, rng)
                continue
            event = self._move(event, verifier, "verify")
            break
        if fate.stop == "closed" or not fate.rating:
            if fate.archive and not fate.stop:
                yield _office(timezone.now() + dt.timedelta(days=rng.uniform(10, 30)), rng)
                self._move(event, desk, "archive")
            return
        reopened = False
        while True:
            yield _office_later(timezone.now(), rng, 2, 30, fate.pace)
            rating = fate.rating if not reopened else Satisfaction.BASIC
            comment = rng.choice(COMMENTS[rating])
            self._count(f"rate:{rating}")
            if spec.channel == Channel.CITIZEN and event.citizen_token:
                event = citizen_rate(token=event.citizen_token, satisfaction=rating, comment=comment)
            else:
                event = self._move(event, desk, "rate", satisfaction=rating, comment=comment)
            if event.status != Status.UNSATISFIED or fate.stop == "unsatisfied":
                break
            yield _office_later(timezone.now(), rng, 1, 8, fate.pace)
            if fate.reopen and not reopened:
                reopened = True
                event = self._move(event, desk, "reopen", "群众不满意，经回访核实问题未彻底解决，重新交办。")
                yield _office_later(timezone.now(), rng, 2, 16, fate.pace)
                event = self._feedback(event, lead_handler, rng)
                yield _office_later(timezone.now(), rng, 1, 20, fate.pace)
                event = self._move(event, verifier, "verify")
                continue
            event = self._move(event, desk, "close_unsatisfied",
                               "已按标准处置到位，诉求超出政策范围，已向群众解释说明，按不满意结案。")
            break
        if fate.archive and event.status == Status.RATED:
            yield _office(timezone.now() + dt.timedelta(days=rng.uniform(7, 25)), rng)
            self._move(event, desk, "archive")


def events_demo_build(*, scale: str = "small", seed: int = 2026, now: dt.datetime | None = None,
                      patrols: dict | None = None, intakes: dict[str, Callable[[Report], Event]] | None = None,
                      days: int = HISTORY_DAYS) -> dict:
    """Write the demo's case history up to ``now`` (default: now); returns counts of what was done.

    ``patrols``: the grid workers' patrols (``gridgov.fieldwork.demo.demo_patrols``): ``{worker id: [[(time, lon,
    lat), …], …]}``; without them no grid worker reports. ``intakes``: channels taken in by apps above events,
    ``{channel: function(Report) -> Event}`` (Open311). ``days``: how far back the history starts."""
    now = now or timezone.now()
    last_message = outbox_last_id()
    with transaction.atomic():
        counts = History(scale=scale, seed=seed, now=now, patrols=patrols, intakes=intakes, days=days).run()
        # Months-old notices to departments and 12345 callbacks went out back then.
        outbox_settle(topics=[notifications.ASSIGNED, notifications.SUPERVISED, notifications.HOTLINE_CALLBACK],
                      after_id=last_message)
    return counts
