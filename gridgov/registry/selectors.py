"""Reads of the registry, scoped by the region tree (``registry.policy``), and the collection coverage
(基础信息采集率) of every grid, community and street in a handful of GROUP BY queries.

Everything that leaves this module for a page or an API answer goes through ``person_out`` / ``house_out`` / …,
which mask identity numbers and phones (``gridgov.common.masking``) and drop key-person tags for roles that may not
see them. The clear values come only from ``services.person_reveal``.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.common.errors import NotFound, ValidationFailed
from gridgov.common.masking import mask_id_number, mask_phone
from gridgov.common.scoping import below
from gridgov.regions.choices import Level, RegionStatus
from gridgov.regions.models import Region
from gridgov.registry import idcard, policy
from gridgov.registry.choices import IdType, TagGroup
from gridgov.registry.models import (
    House,
    Household,
    Organisation,
    Person,
    PersonTag,
    Tag,
    Unit,
)

_DOCUMENTISH = re.compile(r"[0-9A-Za-z-]{5,32}")


# --- tags ------------------------------------------------------------------------------------------------------------
def can_see_key_tags(user) -> bool:
    """Key-person tags are sensitive: ``registry.policy`` says who sees them (other apps ask here)."""
    return policy.can_see_key_tags(user)


def key_people() -> QuerySet:
    """Ids of the people with an active key-person tag (a subquery: for hiding what reveals them)."""
    return PersonTag.objects.filter(tag__group=TagGroup.KEY).values("person_id")


def visible_tags(user) -> QuerySet:
    qs = Tag.objects.filter(is_active=True)
    return qs if policy.can_see_key_tags(user) else qs.exclude(group=TagGroup.KEY)


def _visible_tag_q(user) -> Q:
    return Q() if policy.can_see_key_tags(user) else ~Q(tag__group=TagGroup.KEY)


def _people_qs(user) -> QuerySet:
    tags = PersonTag.objects.filter(_visible_tag_q(user)).select_related("tag").order_by("tag__sort_order")
    return (Person.objects.restrict(user).select_related("grid", "household", "house")
            .prefetch_related(Prefetch("person_tags", queryset=tags, to_attr="visible_tags")))


# --- people ----------------------------------------------------------------------------------------------------------
def is_secret_query(q: str) -> bool:
    """A query that may be an identity number, a document number or a phone (kept out of URLs and logs)."""
    q = (q or "").strip()
    return bool(q) and bool(_DOCUMENTISH.fullmatch(re.sub(r"[\s-]", "", q))) and any(c.isdigit() for c in q)


def refuse_secret_query_in_url(q: str) -> None:
    """A document number or phone never travels in a URL (access logs, proxies, browser history): a GET carrying
    one is refused, and the caller points to the POST form or ``POST /api/v1/registry/people/search``."""
    if is_secret_query(q):
        raise ValidationFailed(_("Search by document number or phone only through the search form (POST), so the "
                                 "number never appears in an address or an access log."), field="q",
                               code="secret_in_url")


def person_list(*, user, q: str = "", grid: str = "", tag: str = "", residence: str = "",
                include_inactive: bool = False) -> QuerySet:
    """People the user may see. ``q``: a name (contains), or an exact document number or phone (by keyed hash);
    ``grid``: a region code (its whole subtree); ``tag``: a tag code the user may see."""
    qs = _people_qs(user)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    q = (q or "").strip()
    if q:
        match = Q(name__icontains=q)
        compact = re.sub(r"[\s-]", "", q)
        if _DOCUMENTISH.fullmatch(q) or _DOCUMENTISH.fullmatch(compact):
            hashes = [idcard.id_hash(t, q) for t in IdType.values]
            match |= Q(id_hash__in=hashes)
            phone = idcard.phone_hash(q)
            if phone:
                match |= Q(phone_hash=phone)
        qs = qs.filter(match)
    if grid:
        region = Region.objects.filter(code=grid.strip()).only("path").first()
        qs = qs.filter(below("grid__path", region.path)) if region else qs.none()
    if tag:
        found = visible_tags(user).filter(code=tag).first()
        if found is None:
            raise ValidationFailed(_("Unknown tag %(tag)s.") % {"tag": tag}, field="tag")
        qs = qs.filter(person_tags__tag=found)
    if residence:
        qs = qs.filter(residence=residence)
    return qs.order_by("name", "id")


def access_person(user, person_id: int, *, for_update: bool = False) -> Person:
    qs = _people_qs(user)
    if for_update:
        # Lock the person's row only (not the grid's, nor the nullable household's: PostgreSQL refuses that).
        qs = Person.objects.select_for_update(of=("self",)).restrict(user).select_related("grid", "household")
    person = qs.filter(pk=person_id).first()
    if person is None:
        raise NotFound(_("No such person, or they are outside your area."))
    return person


def person_out(person: Person, user=None, *, detail: bool = False) -> dict:
    tags = getattr(person, "visible_tags", None)
    if tags is None:
        tags = [pt for pt in person.person_tags.select_related("tag")
                if pt.tag.group != TagGroup.KEY or policy.can_see_key_tags(user)]
    body = {
        "id": person.pk, "name": person.name, "gender": person.gender, "gender_label": str(person.get_gender_display()),
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "residence": person.residence, "residence_label": str(person.get_residence_display()),
        "id_type": person.id_type, "id_number": mask_id_number(person.id_number), "phone": mask_phone(person.phone),
        "grid": _grid(person.grid), "is_active": person.is_active,
        "tags": [{"code": pt.tag.code, "name": pt.tag.name, "group": pt.tag.group} for pt in tags],
    }
    if detail:
        body.update({
            "ethnicity": person.ethnicity, "nationality": person.nationality, "relation": person.relation,
            "registered_address": person.registered_address, "current_address": person.current_address,
            "workplace": person.workplace,
            "household": ({"id": person.household_id, "number": person.household.number}
                          if person.household_id else None),
            "house": {"id": person.house_id, "address": str(person.house)} if person.house_id else None,
            "created_at": person.created_at.isoformat(), "updated_at": person.updated_at.isoformat(),
        })
    return body


def _grid(region) -> dict:
    return {"id": region.pk, "code": region.code, "name": region.name}


# --- houses, households, units, organisations -------------------------------------------------------------------
def _text_filter(qs, q: str, fields: list[str]) -> QuerySet:
    q = (q or "").strip()
    if not q:
        return qs
    match = Q()
    for f in fields:
        match |= Q(**{f"{f}__icontains": q})
    return qs.filter(match)


def _grid_filter(qs, grid: str) -> QuerySet:
    if not grid:
        return qs
    region = Region.objects.filter(code=grid.strip()).only("path").first()
    return qs.filter(below("grid__path", region.path)) if region else qs.none()


def house_list(*, user, q: str = "", grid: str = "", rental: str = "") -> QuerySet:
    qs = House.objects.filter(is_active=True).restrict(user).select_related("grid")
    qs = _grid_filter(_text_filter(qs, q, ["address", "building", "room", "owner_name"]), grid)
    if rental:
        qs = qs.filter(rental=rental)
    return qs.annotate(resident_count=Count("residents", filter=Q(residents__is_active=True))).order_by(
        "address", "room", "id")


def household_list(*, user, q: str = "", grid: str = "") -> QuerySet:
    qs = Household.objects.filter(is_active=True).restrict(user).select_related("grid", "house")
    qs = _grid_filter(_text_filter(qs, q, ["number", "head_name"]), grid)
    return qs.annotate(member_count=Count("members", filter=Q(members__is_active=True))).order_by("number")


def unit_list(*, user, q: str = "", grid: str = "", kind: str = "") -> QuerySet:
    qs = Unit.objects.filter(is_active=True).restrict(user).select_related("grid")
    qs = _grid_filter(_text_filter(qs, q, ["name", "credit_code", "address", "legal_person"]), grid)
    return (qs.filter(kind=kind) if kind else qs).order_by("name", "id")


def organisation_list(*, user, q: str = "", grid: str = "", kind: str = "") -> QuerySet:
    qs = Organisation.objects.filter(is_active=True).restrict(user).select_related("grid")
    qs = _grid_filter(_text_filter(qs, q, ["name", "credit_code", "address", "contact_name"]), grid)
    return (qs.filter(kind=kind) if kind else qs).order_by("name", "id")


_NOT_FOUND = {
    House: lambda: _("No such house, or it is outside your area."),
    Household: lambda: _("No such household, or it is outside your area."),
    Unit: lambda: _("No such unit, or it is outside your area."),
    Organisation: lambda: _("No such organisation, or it is outside your area."),
}


def access(model, user, obj_id: int, *, for_update: bool = False):
    """One house, household, unit or organisation the user may see; 404 otherwise."""
    qs = model.objects.select_for_update(of=("self",)) if for_update else model.objects.all()
    obj = qs.restrict(user).select_related("grid").filter(pk=obj_id).first()
    if obj is None:
        raise NotFound(_NOT_FOUND[model]())
    return obj


def house_out(house: House) -> dict:
    return {"id": house.pk, "address": house.address, "building": house.building, "room": house.room,
            "use": house.use, "use_label": str(house.get_use_display()), "rental": house.rental,
            "rental_label": str(house.get_rental_display()),
            "area_m2": float(house.area_m2) if house.area_m2 is not None else None,
            "owner_name": house.owner_name, "owner_phone": mask_phone(house.owner_phone), "lon": house.lon,
            "lat": house.lat, "grid": _grid(house.grid), "is_active": house.is_active,
            "residents": getattr(house, "resident_count", None)}


def household_out(household: Household) -> dict:
    return {"id": household.pk, "number": household.number, "residence": household.residence,
            "residence_label": str(household.get_residence_display()), "head_name": household.head_name,
            "house": ({"id": household.house_id, "address": str(household.house)} if household.house_id else None),
            "grid": _grid(household.grid), "is_active": household.is_active,
            "members": getattr(household, "member_count", None)}


def unit_out(unit: Unit) -> dict:
    return {"id": unit.pk, "name": unit.name, "credit_code": unit.credit_code, "kind": unit.kind,
            "kind_label": str(unit.get_kind_display()), "address": unit.address, "legal_person": unit.legal_person,
            "contact_phone": mask_phone(unit.contact_phone), "employees": unit.employees,
            "is_key_site": unit.is_key_site, "lon": unit.lon, "lat": unit.lat, "grid": _grid(unit.grid),
            "is_active": unit.is_active}


def organisation_out(org: Organisation) -> dict:
    return {"id": org.pk, "name": org.name, "credit_code": org.credit_code, "kind": org.kind,
            "kind_label": str(org.get_kind_display()), "address": org.address, "contact_name": org.contact_name,
            "contact_phone": mask_phone(org.contact_phone), "members": org.members, "grid": _grid(org.grid),
            "is_active": org.is_active}


# --- coverage (基础信息采集率) --------------------------------------------------------------------------------------
def coverage_target() -> float:
    return float(getattr(settings, "GRIDGOV_COLLECTION_TARGET_PERCENT", 95))


@dataclass
class Coverage:
    id: int
    code: str
    name: str
    level: str
    path: str
    parent_id: int | None
    population: int
    households: int
    people: int = 0
    households_recorded: int = 0
    houses: int = 0
    children: list = field(default_factory=list)

    @staticmethod
    def _rate(recorded: int, declared: int) -> float | None:
        return round(100.0 * recorded / declared, 1) if declared else None

    @property
    def people_rate(self) -> float | None:
        return self._rate(self.people, self.population)

    @property
    def households_rate(self) -> float | None:
        return self._rate(self.households_recorded, self.households)

    def below(self, target: float) -> bool:
        rates = [r for r in (self.people_rate, self.households_rate) if r is not None]
        return any(r < target for r in rates)

    def as_dict(self, target: float | None = None) -> dict:
        body = {"id": self.id, "code": self.code, "name": self.name, "level": self.level,
                "population": self.population, "people": self.people, "people_rate": self.people_rate,
                "households": self.households, "households_recorded": self.households_recorded,
                "households_rate": self.households_rate, "houses": self.houses}
        if target is not None:
            body["below_target"] = self.below(target)
        return body


def _counts(qs: QuerySet) -> dict[int, int]:
    return dict(qs.values_list("grid_id").annotate(n=Count("id")).values_list("grid_id", "n"))


def coverage_tree(*, user, root: Region | None = None) -> dict[int, Coverage]:
    """Coverage of every region in the user's scope (below ``root`` if given): people recorded (active) against
    the declared population, households recorded against the declared households, houses recorded. A region counts
    what is recorded in its whole subtree; its declared figures are its own (``Region.population`` /
    ``households``, which the territory keeps as the sum of its grids). Four queries whatever the size."""
    regions = Region.objects.restrict(user).exclude(status=RegionStatus.RETIRED)
    people = Person.objects.filter(is_active=True).restrict(user)
    households = Household.objects.filter(is_active=True).restrict(user)
    houses = House.objects.filter(is_active=True).restrict(user)
    if root is not None:
        regions = regions.filter(below("path", root.path))
        people = people.filter(below("grid__path", root.path))
        households = households.filter(below("grid__path", root.path))
        houses = houses.filter(below("grid__path", root.path))
    rows = {r[0]: Coverage(*r) for r in regions.values_list("id", "code", "name", "level", "path", "parent_id",
                                                              "population", "households")}
    by_code = {c.code: c for c in rows.values()}
    for counts, attr in ((_counts(people), "people"), (_counts(households), "households_recorded"),
                         (_counts(houses), "houses")):
        for grid_id, n in counts.items():
            grid = rows.get(grid_id)
            if grid is None:
                continue
            for code in grid.path.strip("/").split("/"):
                ancestor = by_code.get(code)
                if ancestor is not None:
                    setattr(ancestor, attr, getattr(ancestor, attr) + n)
    for c in rows.values():
        parent = rows.get(c.parent_id)
        if parent is not None:
            parent.children.append(c)
    for c in rows.values():
        c.children.sort(key=lambda x: x.code)
    return rows


def coverage_summary(*, user, region_code: str = "") -> dict:
    """One region (the user's top one by default) with its children, and the grids below target under it."""
    if not policy.can_read(user):
        return {"target": coverage_target(), "region": None, "children": [], "below_target": []}
    root = None
    if region_code:
        root = Region.objects.restrict(user).filter(code=region_code).first()
        if root is None:
            raise NotFound(_("No such region, or it is outside your area."))
    tree = coverage_tree(user=user, root=root)
    if root is None:
        tops = sorted((c for c in tree.values() if c.parent_id not in tree), key=lambda c: c.path)
        top = tops[0] if len(tops) == 1 else None
    else:
        top = tree.get(root.pk)
    target = coverage_target()
    below = sorted((c for c in tree.values() if c.level == Level.GRID and c.population and c.below(target)),
                   key=lambda c: (c.people_rate if c.people_rate is not None else 0, c.code))
    children = top.children if top else sorted((c for c in tree.values() if c.parent_id not in tree),
                                               key=lambda c: c.code)
    return {"target": target, "region": top, "children": children, "below_target": below}


# --- what visits need from the registry (gridgov/visits reads the registry only through these) ------------------------
VISIT_TARGETS = {"household": Household, "person": Person, "unit": Unit}


def visit_targets(user, kind: str) -> QuerySet:
    """Active households, people or units of ``kind`` in the user's area (what they may visit or look up)."""
    return VISIT_TARGETS[kind].objects.filter(is_active=True).select_related("grid").restrict(user)


def target_kind(target) -> str:
    """"household", "person" or "unit" for a registry record."""
    return target._meta.model_name


def target_label(target) -> str:
    if isinstance(target, Household):
        return f"{target.number} {target.head_name}".strip()
    return target.name


def people_with_visit_tags(below_q: Q) -> list[dict]:
    """Active people under ``below_q`` (a ``grid__path`` condition) with an active tag that requires visits: their
    smallest period (``every``), the smallest period of a key-person tag (``key_every``) and since when (``since``)."""
    tag_ok = Q(person_tags__tag__is_active=True, person_tags__tag__visit_every_days__gt=0)
    return list(
        Person.objects.filter(below_q, is_active=True)
        .annotate(every=Min("person_tags__tag__visit_every_days", filter=tag_ok),
                  key_every=Min("person_tags__tag__visit_every_days",
                                filter=tag_ok & Q(person_tags__tag__group=TagGroup.KEY)),
                  since=Min("person_tags__added_at", filter=tag_ok))
        .filter(every__isnull=False)
        .values("pk", "name", "grid_id", "grid__name", "grid__path", "every", "key_every", "since"))


def active_households(below_q: Q) -> list[dict]:
    """Active households under ``below_q`` (a ``grid__path`` condition), as the visit-frequency check reads them."""
    return list(Household.objects.filter(below_q, is_active=True)
                .values("pk", "number", "head_name", "grid_id", "grid__name", "grid__path", "created_at"))
