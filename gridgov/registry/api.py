"""Registry API under /api/v1/registry/: people, houses, households, units, organisations, tags, reveal, coverage.

Every answer is masked (identity numbers and phones) and every one is sent with ``Cache-Control: no-store``; the one clear value
comes from ``POST /registry/people/{id}/reveal`` (a role that may reveal, a reason, an audit row). A create of a
record that already exists (same document, address, household number or credit code) answers 200 with that record
and ``created: false``; a new one answers 201.
"""

from typing import Annotated

from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from ninja import Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate
from pydantic import Field

from gridgov.common.api_errors import responses
from gridgov.common.api_types import MAX_COUNT, Date, Id, Page
from gridgov.common.audit import client_ip
from gridgov.common.errors import PermissionDenied
from gridgov.registry import policy, selectors, services
from gridgov.registry.models import House, Household, Organisation, Unit

router = Router(tags=["registry"])
MAX_TAGS = 50
MAX_AREA = 10_000_000  # m², a generous upper bound for one house or room
Text = Annotated[str, Field(max_length=64)]
Code = Annotated[str, Field(max_length=32)]


def _reader(request):
    if not policy.can_read(request.user):
        raise PermissionDenied(_("Your role does not use the registry."))


class Place(Schema):
    grid_code: str | None = Field(None, max_length=32, description="The grid, by code")
    grid_id: Id | None = None
    lon: float | None = Field(None, ge=-180, le=180, description="Or the position: the grid is found from it")
    lat: float | None = Field(None, ge=-90, le=90)


class PersonIn(Place):
    name: str | None = Field(None, max_length=64)
    id_type: str | None = Field(None, max_length=16, description="resident_id (default), passport, hmt_permit, foreign_pr, other")
    id_number: str | None = Field(None, max_length=40, description="Checked with GB 11643 for resident_id")
    phone: str | None = Field(None, max_length=32)
    residence: str | None = Field(None, max_length=16, description="registered, floating, overseas")
    gender: str | None = Field(None, max_length=8, description="Only for documents other than resident_id (read from the number)")
    birth_date: Date | None = None
    ethnicity: str | None = Field(None, max_length=16)
    nationality: str | None = Field(None, max_length=32)
    relation: str | None = Field(None, max_length=16)
    registered_address: str | None = Field(None, max_length=200)
    current_address: str | None = Field(None, max_length=200)
    workplace: str | None = Field(None, max_length=100)
    household_number: str | None = Field(None, max_length=32)
    tags: list[Annotated[str, Field(max_length=50)]] | None = Field(None, max_length=MAX_TAGS,
                                                                    description="Tag codes or names")
    is_active: bool | None = Field(None, description="Update only: false records a move out")


class HouseIn(Place):
    address: str | None = Field(None, max_length=200)
    building: str | None = Field(None, max_length=100)
    room: str | None = Field(None, max_length=50)
    use: str | None = Field(None, max_length=16)
    rental: str | None = Field(None, max_length=16)
    area_m2: float | None = Field(None, ge=0, le=MAX_AREA)
    owner_name: str | None = Field(None, max_length=64)
    owner_phone: str | None = Field(None, max_length=32)
    is_active: bool | None = None


class HouseholdIn(Place):
    number: str | None = Field(None, max_length=32)
    residence: str | None = Field(None, max_length=16)
    head_name: str | None = Field(None, max_length=64)
    house_address: str | None = Field(None, max_length=200, description="The house, by address (+ room)")
    house_room: str | None = Field(None, max_length=50)
    is_active: bool | None = None


class UnitIn(Place):
    name: str | None = Field(None, max_length=100)
    credit_code: str | None = Field(None, max_length=18)
    kind: str | None = Field(None, max_length=16)
    address: str | None = Field(None, max_length=200)
    legal_person: str | None = Field(None, max_length=64)
    contact_phone: str | None = Field(None, max_length=32)
    employees: int | None = Field(None, ge=0, le=MAX_COUNT)
    is_key_site: bool | None = None
    is_active: bool | None = None


class OrganisationIn(Place):
    name: str | None = Field(None, max_length=100)
    credit_code: str | None = Field(None, max_length=18)
    kind: str | None = Field(None, max_length=16)
    address: str | None = Field(None, max_length=200)
    contact_name: str | None = Field(None, max_length=64)
    contact_phone: str | None = Field(None, max_length=32)
    members: int | None = Field(None, ge=0, le=MAX_COUNT)
    is_active: bool | None = None


class RevealIn(Schema):
    field: str = Field(..., max_length=16, description="id_number or phone")
    purpose: str | None = Field(None, max_length=32, description=(
        "Why you need the clear value (audited): home_check 入户核查, dispute 矛盾调处, case 案件办理, visit 走访慰问, "
        "special_care 特殊人群帮扶, other 其他 (needs reason). Left out: the reason alone counts as other."))
    reason: str = Field("", max_length=1000, description=(
        "More about why (audited): required for other (at least 4 characters, not one letter repeated), at most "
        "200 characters"))


class TagIn(Schema):
    tag: str = Field(..., max_length=50, description="Tag code or name")
    since: Date | None = None
    note: str = Field("", max_length=200)


def _saved(saved: services.Saved, out) -> Status:
    body = out(saved.obj)
    body["created"] = saved.created
    return Status(201 if saved.created else 200, body)


# --- people ----------------------------------------------------------------------------------------------------------
@router.get("/registry/people", response=responses(list[dict]), summary="People in your area (masked)")
@decorate_view(never_cache)
@paginate(Page, page_size=50)
def person_list(request, q: Text = "", grid: Code = "", tag: Code = "", residence: Code = "",
                include_inactive: bool = False):
    _reader(request)
    selectors.refuse_secret_query_in_url(q)
    people = selectors.person_list(user=request.user, q=q, grid=grid, tag=tag, residence=residence,
                                   include_inactive=include_inactive)
    return [selectors.person_out(p, request.user) for p in people]


class SearchIn(Schema):
    q: str = Field("", max_length=64, description="A name, or the exact document number or phone")
    grid: str = Field("", max_length=32)
    tag: str = Field("", max_length=32)
    residence: str = Field("", max_length=16)
    include_inactive: bool = False


@router.post("/registry/people/search", response=responses(list[dict]),
             summary="People search in the body (keeps an ID number or phone out of URLs and access logs)")
@decorate_view(never_cache)
@paginate(Page, page_size=50)
def person_search(request, payload: SearchIn):
    _reader(request)
    people = selectors.person_list(user=request.user, **payload.model_dump())
    return [selectors.person_out(p, request.user) for p in people]


@router.post("/registry/people", response=responses({201: dict, 200: dict}, not_found=True, conflict=True),
             summary="Record a person (an existing document number updates that person: 200)")
@decorate_view(never_cache)
def person_create(request, payload: PersonIn):
    saved = services.person_create(actor=request.user, data=payload.model_dump(exclude_none=True),
                                   ip=client_ip(request))
    person = selectors.access_person(request.user, saved.obj.pk)
    return _saved(services.Saved(person, saved.created, saved.changed),
                  lambda p: selectors.person_out(p, request.user, detail=True))


@router.get("/registry/people/{int:person_id}", response=responses(dict, not_found=True), summary="One person (masked)")
@decorate_view(never_cache)
def person_detail(request, person_id: Id):
    _reader(request)
    return selectors.person_out(selectors.access_person(request.user, person_id), request.user, detail=True)


@router.patch("/registry/people/{int:person_id}", response=responses(dict, not_found=True, conflict=True),
              summary="Change a person")
@decorate_view(never_cache)
def person_update(request, person_id: Id, payload: PersonIn):
    services.person_update(actor=request.user, person_id=person_id, data=payload.model_dump(exclude_unset=True),
                           ip=client_ip(request))
    return selectors.person_out(selectors.access_person(request.user, person_id), request.user, detail=True)


@router.post("/registry/people/{int:person_id}/reveal", response=responses(dict, not_found=True),
             summary="The clear identity number or phone (permission and reason required; audited)")
@decorate_view(never_cache)
def person_reveal(request, person_id: Id, payload: RevealIn):
    value = services.person_reveal(actor=request.user, person_id=person_id, field=payload.field,
                                   purpose=payload.purpose, reason=payload.reason, ip=client_ip(request))
    return {"id": person_id, "field": payload.field, "value": value}


@router.post("/registry/people/{int:person_id}/tags", response=responses({201: dict}, not_found=True),
             summary="Tag a person")
@decorate_view(never_cache)
def person_tag_add(request, person_id: Id, payload: TagIn):
    services.person_tag_add(actor=request.user, person_id=person_id, tag_code=payload.tag, since=payload.since,
                            note=payload.note, ip=client_ip(request))
    return Status(201, selectors.person_out(selectors.access_person(request.user, person_id), request.user))


@router.delete("/registry/people/{int:person_id}/tags/{tag}", response=responses(dict, not_found=True),
               summary="Remove a tag from a person")
@decorate_view(never_cache)
def person_tag_remove(request, person_id: Id, tag: Annotated[str, Field(max_length=50)]):
    services.person_tag_remove(actor=request.user, person_id=person_id, tag_code=tag, ip=client_ip(request))
    return selectors.person_out(selectors.access_person(request.user, person_id), request.user)


@router.get("/registry/tags", response=responses(list[dict], invalid=False), summary="The tags you may see, with their visit frequencies")
@decorate_view(never_cache)
def tag_list(request):
    _reader(request)
    return [{"code": t.code, "name": t.name, "group": t.group, "visit_every_days": t.visit_every_days}
            for t in selectors.visible_tags(request.user)]


# --- houses, households, units, organisations -------------------------------------------------------------------
@router.get("/registry/houses", response=responses(list[dict]), summary="Houses in your area")
@decorate_view(never_cache)
@paginate(Page, page_size=50)
def house_list(request, q: Text = "", grid: Code = "", rental: Code = ""):
    _reader(request)
    return [selectors.house_out(h) for h in selectors.house_list(user=request.user, q=q, grid=grid, rental=rental)]


@router.post("/registry/houses", response=responses({201: dict, 200: dict}, not_found=True, conflict=True),
             summary="Record a house (the same address and room updates it: 200)")
@decorate_view(never_cache)
def house_create(request, payload: HouseIn):
    return _saved(services.house_create(actor=request.user, data=payload.model_dump(exclude_none=True),
                                        ip=client_ip(request)), selectors.house_out)


@router.get("/registry/houses/{int:house_id}", response=responses(dict, not_found=True), summary="One house")
@decorate_view(never_cache)
def house_detail(request, house_id: Id):
    _reader(request)
    return selectors.house_out(selectors.access(House, request.user, house_id))


@router.patch("/registry/houses/{int:house_id}", response=responses(dict, not_found=True, conflict=True),
              summary="Change a house")
@decorate_view(never_cache)
def house_update(request, house_id: Id, payload: HouseIn):
    return selectors.house_out(services.house_update(actor=request.user, house_id=house_id,
                                                     data=payload.model_dump(exclude_unset=True),
                                                     ip=client_ip(request)))


@router.get("/registry/households", response=responses(list[dict]), summary="Households in your area")
@decorate_view(never_cache)
@paginate(Page, page_size=50)
def household_list(request, q: Text = "", grid: Code = ""):
    _reader(request)
    return [selectors.household_out(h) for h in selectors.household_list(user=request.user, q=q, grid=grid)]


@router.post("/registry/households", response=responses({201: dict, 200: dict}, not_found=True, conflict=True),
             summary="Record a household")
@decorate_view(never_cache)
def household_create(request, payload: HouseholdIn):
    return _saved(services.household_create(actor=request.user, data=payload.model_dump(exclude_none=True),
                                            ip=client_ip(request)), selectors.household_out)


@router.get("/registry/households/{int:household_id}", response=responses(dict, not_found=True),
            summary="One household with its members (masked)")
@decorate_view(never_cache)
def household_detail(request, household_id: Id):
    _reader(request)
    household = selectors.access(Household, request.user, household_id)
    body = selectors.household_out(household)
    body["members"] = [selectors.person_out(p, request.user)
                       for p in selectors.person_list(user=request.user).filter(household=household)]
    return body


@router.patch("/registry/households/{int:household_id}",
              response=responses(dict, not_found=True, conflict=True), summary="Change a household")
@decorate_view(never_cache)
def household_update(request, household_id: Id, payload: HouseholdIn):
    return selectors.household_out(services.household_update(actor=request.user, household_id=household_id,
                                                             data=payload.model_dump(exclude_unset=True),
                                                             ip=client_ip(request)))


@router.get("/registry/units", response=responses(list[dict]), summary="Units and enterprises in your area")
@decorate_view(never_cache)
@paginate(Page, page_size=50)
def unit_list(request, q: Text = "", grid: Code = "", kind: Code = ""):
    _reader(request)
    return [selectors.unit_out(u) for u in selectors.unit_list(user=request.user, q=q, grid=grid, kind=kind)]


@router.post("/registry/units", response=responses({201: dict, 200: dict}, not_found=True, conflict=True),
             summary="Record a unit or enterprise")
@decorate_view(never_cache)
def unit_create(request, payload: UnitIn):
    return _saved(services.unit_create(actor=request.user, data=payload.model_dump(exclude_none=True),
                                       ip=client_ip(request)), selectors.unit_out)


@router.get("/registry/units/{int:unit_id}", response=responses(dict, not_found=True), summary="One unit or enterprise")
@decorate_view(never_cache)
def unit_detail(request, unit_id: Id):
    _reader(request)
    return selectors.unit_out(selectors.access(Unit, request.user, unit_id))


@router.patch("/registry/units/{int:unit_id}", response=responses(dict, not_found=True, conflict=True),
              summary="Change a unit or enterprise")
@decorate_view(never_cache)
def unit_update(request, unit_id: Id, payload: UnitIn):
    return selectors.unit_out(services.unit_update(actor=request.user, unit_id=unit_id,
                                                   data=payload.model_dump(exclude_unset=True),
                                                   ip=client_ip(request)))


@router.get("/registry/organisations", response=responses(list[dict]), summary="Social organisations in your area")
@decorate_view(never_cache)
@paginate(Page, page_size=50)
def organisation_list(request, q: Text = "", grid: Code = "", kind: Code = ""):
    _reader(request)
    return [selectors.organisation_out(o)
            for o in selectors.organisation_list(user=request.user, q=q, grid=grid, kind=kind)]


@router.post("/registry/organisations",
             response=responses({201: dict, 200: dict}, not_found=True, conflict=True), summary="Record a social organisation")
@decorate_view(never_cache)
def organisation_create(request, payload: OrganisationIn):
    return _saved(services.organisation_create(actor=request.user, data=payload.model_dump(exclude_none=True),
                                               ip=client_ip(request)), selectors.organisation_out)


@router.get("/registry/organisations/{int:organisation_id}", response=responses(dict, not_found=True),
            summary="One social organisation")
@decorate_view(never_cache)
def organisation_detail(request, organisation_id: Id):
    _reader(request)
    return selectors.organisation_out(selectors.access(Organisation, request.user, organisation_id))


@router.patch("/registry/organisations/{int:organisation_id}",
              response=responses(dict, not_found=True, conflict=True), summary="Change a social organisation")
@decorate_view(never_cache)
def organisation_update(request, organisation_id: Id, payload: OrganisationIn):
    return selectors.organisation_out(services.organisation_update(
        actor=request.user, organisation_id=organisation_id, data=payload.model_dump(exclude_unset=True),
        ip=client_ip(request)))


# --- coverage --------------------------------------------------------------------------------------------------------
@router.get("/registry/coverage", response=responses(dict, not_found=True),
            summary="基础信息采集率 of a region (yours by default) and its children")
@decorate_view(never_cache)
def coverage(request, region: Code = ""):
    _reader(request)
    summary = selectors.coverage_summary(user=request.user, region_code=region)
    target = summary["target"]
    return {"target": target,
            "region": summary["region"].as_dict(target) if summary["region"] else None,
            "children": [c.as_dict(target) for c in summary["children"]],
            "below_target_count": len(summary["below_target"])}


@router.get("/registry/coverage/below-target", response=responses(list[dict], not_found=True), summary="Grids below the collection target")
@decorate_view(never_cache)
@paginate(Page, page_size=100)
def coverage_below_target(request, region: Code = ""):
    _reader(request)
    summary = selectors.coverage_summary(user=request.user, region_code=region)
    return [c.as_dict(summary["target"]) for c in summary["below_target"]]
