"""Registry rows for visit and dispute tests, written straight to the tables (the registry's own services are
tested in gridgov/registry/tests)."""

import itertools

from gridgov.registry.choices import TagGroup
from gridgov.registry.idcard import check_digit, id_hash
from gridgov.registry.models import Household, Person, PersonTag, Tag, Unit

_seq = itertools.count(1)


def id_number() -> str:
    first17 = f"44030619900101{next(_seq) % 1000:03d}"
    return first17 + check_digit(first17)


def tag(code: str, *, group=TagGroup.KEY, every: int = 30, name: str | None = None) -> Tag:
    return Tag.objects.update_or_create(code=code, defaults={"name": name or code, "group": group,
                                                             "visit_every_days": every, "is_active": True})[0]


def person(grid, name: str = "张三", *, tags=(), household=None, phone: str = "") -> Person:
    number = id_number()
    while Person.objects.filter(id_hash=id_hash("resident_id", number)).exists():
        number = id_number()
    p = Person.objects.create(name=name, id_number=number, id_hash=id_hash("resident_id", number), grid=grid,
                              household=household, phone=phone)
    for t in tags:
        PersonTag.objects.create(person=p, tag=t)
    return p


def household(grid, number: str | None = None, head: str = "李四") -> Household:
    return Household.objects.create(number=number or f"HH{next(_seq):08d}", grid=grid, head_name=head)


def unit(grid, name: str = "测试商店") -> Unit:
    return Unit.objects.create(name=name, grid=grid)
