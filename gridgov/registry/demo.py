"""Demo registry: a few houses, households and people in every active grid (valid generated identity numbers,
mobile phones, some key-person and care tags), a unit per grid and a social organisation per community.

Households have shapes (a family, three generations, someone living alone, an old couple, a grandparent with a
left-behind child) and ages that fit each member's relation to the head; tags go to people they fit: 独居老人 to
someone old living alone, 空巢老人 to an old couple, 留守儿童 to a child living with a grandparent, 重点青少年 to a
teenager or young adult, the other key-person tags to adults. Ages count from today, so they stay true on any date.

Written with ``bulk_create`` (one statement per table and batch), so the district scale (4,800 grids) adds seconds,
not minutes. Deterministic for a given seed. Called once from ``gridgov.demo.demo_build``.
"""

import datetime as dt
import random

from django.utils import timezone

from gridgov.regions.choices import Level, RegionStatus
from gridgov.regions.models import Region
from gridgov.registry import idcard
from gridgov.registry.choices import (
    Gender,
    HouseUse,
    IdType,
    OrgKind,
    Rental,
    Residence,
    UnitKind,
)
from gridgov.registry.models import (
    House,
    Household,
    Organisation,
    Person,
    PersonTag,
    Tag,
    Unit,
)
from gridgov.registry.tags import tags_seed
from gridgov.registry.validation import credit_code_check

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海燕玲文斌辉鹏飞婷颖琳欣怡浩宇晨")
AREA_CODES = ["440306", "440305", "440304", "430104", "360102", "450102", "421002", "510104", "441502", "350203"]
ROADS = ["宝安大道", "新安六路", "创业二路", "建安一路", "前进二路", "兴华路", "上川路", "公园路", "裕安路", "新湖路"]
UNIT_NAMES = ["电子有限公司", "五金加工厂", "便利店", "餐饮店", "物流有限公司", "诊所", "幼儿园", "物业管理处"]
ORG_NAMES = ["志愿服务队", "老年协会", "文体协会", "调解委员会", "妇女儿童之家"]
# houses per grid (the first two hold the grid's key person and person needing care), a unit in every Nth grid
SIZES = {"small": (4, 1), "district": (2, 2)}
SHAPES = ["family", "family", "family", "three_generations", "single", "old_couple"]


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _id_number(rng, used: set, born: dt.date, male: bool) -> str:
    """A valid identity number for this birth date and gender (the 17th digit is odd for men)."""
    while True:
        sequence = rng.randint(0, 99) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
        first17 = f"{rng.choice(AREA_CODES)}{born:%Y%m%d}{sequence:03d}"
        number = first17 + idcard.check_digit(first17)
        if number not in used:
            used.add(number)
            return number


def _born(rng, today: dt.date, age: int) -> dt.date:
    """A birth date at which someone is exactly ``age`` years old today."""
    try:
        birthday = today.replace(year=today.year - age)
    except ValueError:  # 29 February
        birthday = today.replace(year=today.year - age, day=28)
    return birthday - dt.timedelta(days=rng.randint(1, 360))


# Household shapes: who lives together, with ages that fit their relation to the head (a son is younger than his
# father; an empty-nest couple is old; a left-behind child lives with a grandparent).
def _members(rng, shape: str) -> list[tuple[str, int, bool]]:
    """[(relation, age, male)] of a household of this shape, the head first."""
    male = rng.random() < 0.55
    if shape == "alone_old":  # 独居老人
        return [("户主", rng.randint(66, 88), male)]
    if shape == "old_couple":  # 空巢老人
        age = rng.randint(62, 80)
        return [("户主", age, True), ("配偶", max(60, age + rng.randint(-4, 2)), False)]
    if shape == "left_behind":  # 留守儿童 with a grandparent
        return [("户主", rng.randint(56, 72), male), ("孙子" if rng.random() < 0.5 else "孙女", rng.randint(5, 14),
                                                     rng.random() < 0.5)]
    if shape == "single":
        return [("户主", rng.randint(21, 38), male)]
    head = rng.randint(36, 52) if shape == "teen_family" else rng.randint(26, 58)
    out = [("户主", head, True)]
    if rng.random() < 0.85 or shape == "teen_family":
        out.append(("配偶", max(20, head + rng.randint(-5, 3)), False))
    children = 1 if shape == "teen_family" else rng.choice((0, 1, 1, 2))
    for k in range(children):
        age = rng.randint(13, min(22, head - 20)) if shape == "teen_family" and k == 0 else \
            rng.randint(0, max(0, min(24, head - 22)))
        son = rng.random() < 0.5
        out.append(("子" if son else "女", age, son))
    if shape == "three_generations":
        out.append(("父亲" if rng.random() < 0.5 else "母亲", min(95, head + rng.randint(22, 32)), rng.random() < 0.5))
    return out


# What each tag asks of the person: the household shape to draw and which member carries the tag.
TAG_SHAPES = {"K05": ("teen_family", "young"), "C01": ("alone_old", "head"), "C02": ("old_couple", "head"),
              "C05": ("left_behind", "child")}


def _tagged(members: list[tuple[str, int, bool]], who: str) -> int:
    """The index of the member a tag goes to."""
    if who == "young":
        return next(i for i, (_r, age, _m) in enumerate(members) if 12 <= age <= 25)
    if who == "child":
        return next(i for i, (_r, age, _m) in enumerate(members) if age < 16)
    return 0


def _mobile(rng) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def _credit_code(rng) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91440306" + "".join(rng.choice(chars) for _ in range(9))
    return first17 + credit_code_check(first17)


def registry_demo_build(*, scale: str = "small", seed: int = 2026) -> dict:
    """Fill the registry of the demo district; returns how many rows of each kind were written."""
    rng = random.Random(seed + 4)
    tags_seed()
    tags = list(Tag.objects.filter(is_active=True).order_by("sort_order"))
    key_tags = [t for t in tags if t.group == "key"]
    care_tags = [t for t in tags if t.group == "care"]
    houses_per_grid, unit_every = SIZES.get(scale, SIZES["small"])
    today = timezone.localdate()
    grids = list(Region.objects.filter(level=Level.GRID, status=RegionStatus.ACTIVE).order_by("code"))
    used_ids: set = set()
    houses, households, people, person_tags, units = [], [], [], [], []
    plan = []  # (person, tag) pairs resolved after the people have ids
    for gi, grid in enumerate(grids):
        road = ROADS[gi % len(ROADS)]
        lon, lat = grid.centroid_lon, grid.centroid_lat
        for hi in range(houses_per_grid):
            address = f"{grid.name.split('第')[0]}{road}{gi + 1}号{hi + 1}栋"
            room = f"{rng.randint(1, 12)}{rng.randint(1, 6):02d}"
            rented = rng.random() < 0.35
            house = House(grid=grid, address=address, building=f"{hi + 1}栋", room=room,
                          use=HouseUse.RENTED if rented else HouseUse.SELF,
                          rental=rng.choice([Rental.WHOLE, Rental.SHARED]) if rented else Rental.NONE,
                          area_m2=rng.randint(35, 140), owner_name=_name(rng), owner_phone=_mobile(rng),
                          lon=lon, lat=lat, address_key=idcard.address_key(address, room))
            houses.append(house)
            floating = rented and rng.random() < 0.7
            household = Household(number=f"H{grid.code}{hi + 1:02d}", grid=grid, house=house,
                                  residence=Residence.FLOATING if floating else Residence.REGISTERED)
            households.append(household)
            key_tag = key_tags[gi % len(key_tags)] if key_tags and hi == 0 else None
            care_tag = care_tags[gi % len(care_tags)] if care_tags and hi == 1 else None
            tag = key_tag or care_tag  # every grid has one key person and one person needing care
            shape, who = TAG_SHAPES.get(tag.code, ("family", "head")) if tag else (rng.choice(SHAPES), "")
            members = _members(rng, shape)
            tagged = _tagged(members, who) if tag else -1
            for pi, (relation, age, male) in enumerate(members):
                number = _id_number(rng, used_ids, _born(rng, today, age), male)
                born, gender = idcard.birth_date_and_gender(number)
                name = _name(rng)
                if pi == 0:
                    household.head_name = name
                phone = _mobile(rng) if age >= 14 else ""
                person = Person(name=name, gender=gender or Gender.UNKNOWN, birth_date=born, ethnicity="汉族",
                                residence=household.residence, id_type=IdType.RESIDENT_ID, id_number=number,
                                id_hash=idcard.id_hash(IdType.RESIDENT_ID, number), phone=phone,
                                phone_hash=idcard.phone_hash(phone), grid=grid, house=house, household=household,
                                relation=relation, current_address=f"{address}{room}室",
                                registered_address="广东省深圳市宝安区" if number.startswith("440306") else "")
                people.append(person)
                if pi == tagged:
                    plan.append((person, tag))
        if gi % unit_every:
            continue
        kind = UNIT_NAMES[gi % len(UNIT_NAMES)]
        units.append(Unit(name=f"{grid.name.split('第')[0]}{road}{kind}", credit_code=_credit_code(rng),
                          kind=UnitKind.SHOP if "店" in kind else (UnitKind.SCHOOL if "幼儿园" in kind
                                                                   else UnitKind.ENTERPRISE),
                          grid=grid, address=f"{road}{gi % 90 + 1}号", legal_person=_name(rng),
                          contact_phone=_mobile(rng), employees=rng.randint(2, 300), is_key_site=gi % 5 == 0,
                          lon=lon, lat=lat))
    House.objects.bulk_create(houses, batch_size=1000)
    Household.objects.bulk_create(households, batch_size=1000)
    Person.objects.bulk_create(people, batch_size=1000)
    person_tags = [PersonTag(person=p, tag=t, since=dt.date(2025, 1, 1)) for p, t in plan]
    PersonTag.objects.bulk_create(person_tags, batch_size=1000)
    Unit.objects.bulk_create(units, batch_size=1000)
    communities = Region.objects.filter(level=Level.COMMUNITY).order_by("code")
    first_grid = {}
    for grid in grids:
        first_grid.setdefault(grid.parent_id, grid)
    organisations = [Organisation(name=f"{c.name}{ORG_NAMES[i % len(ORG_NAMES)]}", kind=OrgKind.COMMUNITY
                                  if i % 2 else OrgKind.VOLUNTEER, grid=first_grid[c.pk], address=c.name,
                                  contact_name=_name(rng), contact_phone=_mobile(rng), members=rng.randint(8, 120))
                     for i, c in enumerate(communities) if c.pk in first_grid]
    Organisation.objects.bulk_create(organisations, batch_size=1000)
    return {"houses": len(houses), "households": len(households), "people": len(people),
            "person_tags": len(person_tags), "units": len(units), "organisations": len(organisations)}
