"""The demo registry (gridgov/registry/demo.py) is plausible: tags fit the people who carry them, and each member's
age fits their relation to the head of the household — on whatever day the suite runs."""

import pytest
from django.utils import timezone

from gridgov.registry.models import Person, PersonTag

pytestmark = pytest.mark.django_db


def age(person: Person) -> int:
    today = timezone.localdate()
    born = person.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# tag code: the ages it is possible at
TAG_AGES = {"C01": range(60, 130), "C02": range(60, 130), "C05": range(0, 16), "K05": range(12, 26),
            "K01": range(18, 130), "K02": range(18, 130), "K03": range(18, 130), "K04": range(18, 130),
            "K06": range(18, 130), "K07": range(18, 130)}


def test_tags_fit_the_age_and_the_household_of_the_person():
    tagged = PersonTag.objects.select_related("person", "tag")
    assert {t.tag.code for t in tagged} >= set(TAG_AGES)  # every tag with an age rule is used
    for t in tagged:
        if t.tag.code in TAG_AGES:
            assert age(t.person) in TAG_AGES[t.tag.code], (t.tag.name, t.person.birth_date)
        household = list(Person.objects.filter(household=t.person.household_id))
        if t.tag.code == "C01":  # 独居老人: lives alone
            assert household == [t.person]
        if t.tag.code == "C02":  # 空巢老人: no children at home
            assert all(age(p) >= 60 for p in household)
        if t.tag.code == "C05":  # 留守儿童: with a grandparent, not the parents
            assert {p.relation for p in household} <= {"户主", "孙子", "孙女"}


def test_ages_fit_the_relation_to_the_head_of_the_household():
    people = list(Person.objects.exclude(household=None).order_by("household_id", "pk"))
    heads = {p.household_id: p for p in people if p.relation == "户主"}
    assert len(heads) == len({p.household_id for p in people})  # every household has its head
    for p in people:
        head = heads[p.household_id]
        gap = age(head) - age(p)
        if p.relation in ("子", "女"):
            assert gap >= 18, (p.relation, age(head), age(p))
        elif p.relation in ("孙子", "孙女"):
            assert gap >= 36, (p.relation, age(head), age(p))
        elif p.relation in ("父亲", "母亲"):
            assert gap <= -18, (p.relation, age(head), age(p))
        elif p.relation == "配偶":
            assert age(p) >= 18 and abs(gap) <= 10
        else:
            assert p.relation == "户主" and age(p) >= 18
        assert bool(p.phone) == (age(p) >= 14)  # children have no mobile of their own
