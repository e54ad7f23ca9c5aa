"""Registry pages: search (people, houses, units, organisations), detail pages with masking and a reveal that asks
a reason (htmx), create and edit forms, a grid's page, and the collection coverage. Every page is ``no-store``.
The pages only render; writes go through ``registry.services``."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.common.audit import client_ip
from gridgov.common.errors import DomainError, NotFound
from gridgov.regions.models import Region
from gridgov.registry import policy, selectors, services
from gridgov.registry.choices import (
    Gender,
    HouseUse,
    IdType,
    OrgKind,
    Rental,
    Residence,
    TagGroup,
    UnitKind,
)
from gridgov.registry.models import House, Household, Organisation, Unit

TABS = [("people", gettext_lazy("People")), ("houses", gettext_lazy("Houses")),
        ("units", gettext_lazy("Units and enterprises")), ("organisations", gettext_lazy("Social organisations"))]


def _page(request, template, context, status=200):
    context["nav"] = "registry"
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"  # names, addresses and masked numbers of residents
    return response


def _not_found(request):
    return _page(request, "web/not_found.html", {}, status=404)


def _forbidden(request):
    """Roles without the registry get the same page as a missing record: nothing to see here."""
    return _page(request, "web/not_found.html", {}, status=404)


@login_required
def search(request):
    if not policy.can_read(request.user):
        return _forbidden(request)
    # The search form is POSTed, so an ID number or phone typed into it never lands in a URL (access logs,
    # browser history); paging links carry the other filters and a name, never an exact number.
    src = request.POST if request.method == "POST" else request.GET
    tab = request.GET.get("tab", "people")
    tab = tab if tab in dict(TABS) else "people"
    filters = {name: src.get(name, "").strip() for name in ("q", "grid", "tag", "residence", "rental", "kind")}
    q = filters["q"]
    secret_query = selectors.is_secret_query(q)
    error = None
    try:
        if tab == "people":
            if request.method != "POST":
                selectors.refuse_secret_query_in_url(q)
            rows = selectors.person_list(user=request.user, q=q, grid=filters["grid"], tag=filters["tag"],
                                         residence=filters["residence"])
        elif tab == "houses":
            rows = selectors.house_list(user=request.user, q=q, grid=filters["grid"], rental=filters["rental"])
        elif tab == "units":
            rows = selectors.unit_list(user=request.user, q=q, grid=filters["grid"], kind=filters["kind"])
        else:
            rows = selectors.organisation_list(user=request.user, q=q, grid=filters["grid"], kind=filters["kind"])
    except DomainError as exc:
        rows, error = [], exc
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    items = [_row(tab, obj, request.user) for obj in page]
    params = QueryDict(mutable=True)
    params.update({"tab": tab, **{k: v for k, v in filters.items() if v and not (k == "q" and secret_query)}})
    context = {"tabs": TABS, "tab": tab, "page": page, "items": items, "error": error,
               **filters, "q": "" if secret_query else q, "secret_query": secret_query,
               "tags": selectors.visible_tags(request.user), "residences": Residence.choices,
               "rentals": Rental.choices, "unit_kinds": UnitKind.choices, "org_kinds": OrgKind.choices,
               "query": params.urlencode(), "can_write": policy.can_write(request.user)}
    return _page(request, "registry/search.html", context)


def _row(tab, obj, user) -> dict:
    if tab == "people":
        return selectors.person_out(obj, user)
    if tab == "houses":
        return selectors.house_out(obj)
    if tab == "units":
        return selectors.unit_out(obj)
    return selectors.organisation_out(obj)


# --- people ----------------------------------------------------------------------------------------------------------
@login_required
def person_detail(request, person_id: int):
    try:
        if not policy.can_read(request.user):
            raise NotFound("")
        person = selectors.access_person(request.user, person_id)
    except NotFound:
        return _not_found(request)
    context = {"person": selectors.person_out(person, request.user, detail=True), "obj": person,
               "can_reveal": policy.can_reveal(request.user), "can_write": policy.can_write(request.user),
               "min_reason": policy.REVEAL_REASON_MIN}
    return _page(request, "registry/person.html", context)


@login_required
def person_reveal(request, person_id: int):
    """htmx: POST field + reason → the clear value in a fragment (never cached), or the error."""
    if request.method != "POST":
        return redirect("registry:person", person_id=person_id)
    field = request.POST.get("field", "")
    try:
        value = services.person_reveal(actor=request.user, person_id=person_id, field=field,
                                       reason=request.POST.get("reason", ""), ip=client_ip(request))
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        response = render(request, "registry/_reveal.html", {"error": exc.message, "field": field,
                                                             "person_id": person_id,
                                                             "min_reason": policy.REVEAL_REASON_MIN},
                          status=exc.status)
        response["Cache-Control"] = "no-store"
        return response
    response = render(request, "registry/_reveal.html", {"value": value, "field": field})
    response["Cache-Control"] = "no-store"
    return response


def _choice(name, label, choices, value, required=False):
    return {"name": name, "label": label, "type": "select", "choices": choices, "value": value or "",
            "required": required}


def _input(name, label, value="", *, kind="text", required=False, maxlength=None, help=""):
    return {"name": name, "label": label, "type": kind, "value": "" if value is None else value,
            "required": required, "maxlength": maxlength, "help": help}


def _grid_field(user, value=""):
    grids = Region.objects.restrict(user).filter(level__in=["grid", "micro", "special"]).exclude(
        status="retired").order_by("code").values_list("code", "name")[:500]
    return _choice("grid_code", _("Grid"), [("", _("— from the position —"))] + [(c, f"{n}（{c}）") for c, n in grids],
                   value)


def _place_fields(user, obj=None):
    return [_grid_field(user, obj.grid.code if obj else ""),
            _input("lon", _("Longitude"), getattr(obj, "lon", "") if obj else "", kind="number"),
            _input("lat", _("Latitude"), getattr(obj, "lat", "") if obj else "", kind="number")]


def _person_fields(user, person=None, tags_checked=()):
    p = person
    return [
        _input("name", _("Name"), p.name if p else "", required=True, maxlength=64),
        _choice("id_type", _("Document type"), IdType.choices, p.id_type if p else IdType.RESIDENT_ID),
        _input("id_number", _("Document number"), "", required=not p, maxlength=40,
               help=_("Stored encrypted. Leave empty to keep the recorded one.") if p else
               _("Birth date and gender are read from an identity number.")),
        _input("phone", _("Phone"), "", maxlength=32,
               help=_("Leave empty to keep the recorded one.") if p and p.phone else ""),
        _choice("residence", _("Residence"), Residence.choices, p.residence if p else Residence.REGISTERED),
        _choice("gender", _("Gender (documents other than the identity card)"), Gender.choices,
                p.gender if p else Gender.UNKNOWN),
        _input("birth_date", _("Date of birth (documents other than the identity card)"),
               p.birth_date.isoformat() if p and p.birth_date else "", kind="date"),
        _input("ethnicity", _("Ethnicity"), p.ethnicity if p else "", maxlength=16),
        _input("household_number", _("Household number"), p.household.number if p and p.household_id else "",
               maxlength=32),
        _input("relation", _("Relation to the head"), p.relation if p else "", maxlength=16),
        _input("registered_address", _("Registered address"), p.registered_address if p else "", maxlength=200),
        _input("current_address", _("Current address"), p.current_address if p else "", maxlength=200),
        _input("workplace", _("Workplace"), p.workplace if p else "", maxlength=100),
        {"name": "tags", "label": _("Tags"), "type": "tags", "choices": selectors.visible_tags(user),
         "value": list(tags_checked)},
    ] + _place_fields(user, p)


def _form_data(request, fields) -> dict:
    data = {}
    for f in fields:
        if f["type"] == "tags":
            data["tags"] = request.POST.getlist("tags")
        elif f["type"] == "checkbox":
            data[f["name"]] = bool(request.POST.get(f["name"]))
        else:
            data[f["name"]] = request.POST.get(f["name"], "").strip()
    for key in ("lon", "lat"):
        if key in data:
            try:
                data[key] = float(data[key]) if data[key] else None
            except ValueError:
                pass
    return data


def _fill(fields, data, errors, secret=("id_number", "phone", "owner_phone", "contact_phone")):
    """Put the typed values back (secrets only when they are what is wrong) and each field's error."""
    for f in fields:
        name = f["name"]
        if name in data and (name not in secret or name in errors):
            f["value"] = "" if data[name] is None else data[name]
        f["error"] = errors.get(name, "")
    return fields


def _unplaced(errors: dict, fields) -> str:
    """Errors that belong to no field on the form (shown at the top)."""
    names = {f["name"] for f in fields}
    return " ".join(str(m) for k, m in errors.items() if k not in names)


def _errors(exc: DomainError) -> dict:
    errors = {d["field"]: d["message"] for d in exc.details} if exc.details else {}
    if exc.field and exc.field not in errors:
        errors[exc.field] = str(exc.message)
    return errors or {"form": str(exc.message)}


@login_required
def person_form(request, person_id: int | None = None):
    if not policy.can_write(request.user):
        return _forbidden(request)
    person = None
    if person_id is not None:
        try:
            person = selectors.access_person(request.user, person_id)
        except NotFound:
            return _not_found(request)
    checked = [pt.tag.code for pt in person.visible_tags] if person else []
    fields = _person_fields(request.user, person, checked)
    errors = {}
    if request.method == "POST":
        data = _form_data(request, fields)
        try:
            if person is None:
                saved = services.person_create(actor=request.user, data=data, ip=client_ip(request))
                return redirect("registry:person", person_id=saved.obj.pk)
            if not data.get("id_number"):
                data.pop("id_number")
                data.pop("id_type")
            if not data.get("phone"):
                data.pop("phone")
            if not data.get("grid_code"):
                data.pop("grid_code", None)
            services.person_update(actor=request.user, person_id=person.pk, data=data, ip=client_ip(request))
            return redirect("registry:person", person_id=person.pk)
        except DomainError as exc:
            errors = _errors(exc)
            _fill(fields, data, errors)
    title = _("Edit %(name)s") % {"name": person.name} if person else _("Record a person")
    return _page(request, "registry/form.html", {"fields": fields, "errors": errors, "title": title,
                                                 "form_error": _unplaced(errors, fields),
                                                 "back": reverse("registry:person", args=[person.pk]) if person
                                                 else reverse("registry:search")},
                 status=422 if errors else 200)


# --- houses, households, units, organisations -------------------------------------------------------------------
KINDS = {
    "house": (House, selectors.house_out, "registry/house.html"),
    "household": (Household, selectors.household_out, "registry/household.html"),
    "unit": (Unit, selectors.unit_out, "registry/unit.html"),
    "organisation": (Organisation, selectors.organisation_out, "registry/organisation.html"),
}


@login_required
def record_detail(request, kind: str, obj_id: int):
    model, out, template = KINDS[kind]
    try:
        if not policy.can_read(request.user):
            raise NotFound("")
        obj = selectors.access(model, request.user, obj_id)
    except NotFound:
        return _not_found(request)
    context = {"item": out(obj), "obj": obj, "kind": kind, "can_write": policy.can_write(request.user)}
    if kind in ("house", "household"):
        people = selectors.person_list(user=request.user).filter(**{kind: obj})
        context["people"] = [selectors.person_out(p, request.user) for p in people]
    if kind == "house":
        context["households"] = [selectors.household_out(h) for h in obj.households.filter(is_active=True)]
    return _page(request, template, context)


def _house_fields(user, h=None):
    return [
        _input("address", _("Address"), h.address if h else "", required=True, maxlength=200),
        _input("building", _("Building"), h.building if h else "", maxlength=100),
        _input("room", _("Room"), h.room if h else "", maxlength=50),
        _choice("use", _("Use"), HouseUse.choices, h.use if h else HouseUse.SELF),
        _choice("rental", _("Rental status"), Rental.choices, h.rental if h else Rental.NONE),
        _input("area_m2", _("Floor area (m²)"), h.area_m2 if h and h.area_m2 is not None else "", kind="number"),
        _input("owner_name", _("Owner"), h.owner_name if h else "", maxlength=64),
        _input("owner_phone", _("Owner's phone"), "", maxlength=32,
               help=_("Leave empty to keep the recorded one.") if h and h.owner_phone else ""),
    ] + _place_fields(user, h)


def _household_fields(user, hh=None):
    house = hh.house if hh is not None and hh.house_id else None
    return [
        _input("number", _("Household number"), hh.number if hh else "", required=True, maxlength=32),
        _choice("residence", _("Kind"), Residence.choices, hh.residence if hh else Residence.REGISTERED),
        _input("head_name", _("Head of household"), hh.head_name if hh else "", maxlength=64),
        _input("house_address", _("House address"), house.address if house else "", maxlength=200,
               help=_("A house already recorded: its address (and room), to link the household to it.")),
        _input("house_room", _("Room"), house.room if house else "", maxlength=50),
        _grid_field(user, hh.grid.code if hh else ""),
    ]


def _unit_fields(user, u=None):
    return [
        _input("name", _("Name"), u.name if u else "", required=True, maxlength=100),
        _input("credit_code", _("Unified social credit code"), u.credit_code if u else "", maxlength=18),
        _choice("kind", _("Kind"), UnitKind.choices, u.kind if u else UnitKind.ENTERPRISE),
        _input("address", _("Address"), u.address if u else "", maxlength=200),
        _input("legal_person", _("Legal representative"), u.legal_person if u else "", maxlength=64),
        _input("contact_phone", _("Contact phone"), "", maxlength=32,
               help=_("Leave empty to keep the recorded one.") if u and u.contact_phone else ""),
        _input("employees", _("Employees"), u.employees if u else 0, kind="number"),
        {"name": "is_key_site", "label": _("Key site"), "type": "checkbox", "value": u.is_key_site if u else False},
    ] + _place_fields(user, u)


def _organisation_fields(user, o=None):
    return [
        _input("name", _("Name"), o.name if o else "", required=True, maxlength=100),
        _input("credit_code", _("Unified social credit code"), o.credit_code if o else "", maxlength=18),
        _choice("kind", _("Kind"), OrgKind.choices, o.kind if o else OrgKind.COMMUNITY),
        _input("address", _("Address"), o.address if o else "", maxlength=200),
        _input("contact_name", _("Contact"), o.contact_name if o else "", maxlength=64),
        _input("contact_phone", _("Contact phone"), "", maxlength=32,
               help=_("Leave empty to keep the recorded one.") if o and o.contact_phone else ""),
        _input("members", _("Members"), o.members if o else 0, kind="number"),
    ] + _place_fields(user, o)


FORMS = {
    "house": (_house_fields, services.house_create, services.house_update, "house_id",
              gettext_lazy("Record a house")),
    "household": (_household_fields, services.household_create, services.household_update, "household_id",
                  gettext_lazy("Record a household")),
    "unit": (_unit_fields, services.unit_create, services.unit_update, "unit_id",
             gettext_lazy("Record a unit or enterprise")),
    "organisation": (_organisation_fields, services.organisation_create, services.organisation_update,
                     "organisation_id", gettext_lazy("Record a social organisation")),
}
_SECRET_FIELDS = ("owner_phone", "contact_phone")


@login_required
def record_form(request, kind: str, obj_id: int | None = None):
    if not policy.can_write(request.user):
        return _forbidden(request)
    model = KINDS[kind][0]
    make_fields, create, update, id_arg, new_title = FORMS[kind]
    obj = None
    if obj_id is not None:
        try:
            obj = selectors.access(model, request.user, obj_id)
        except NotFound:
            return _not_found(request)
    fields = make_fields(request.user, obj)
    errors = {}
    if request.method == "POST":
        data = _form_data(request, fields)
        try:
            if obj is None:
                saved = create(actor=request.user, data=data, ip=client_ip(request))
                return redirect(f"registry:{kind}", obj_id=saved.obj.pk)
            for secret in _SECRET_FIELDS:
                if secret in data and not data[secret]:
                    data.pop(secret)
            if not data.get("grid_code"):
                data.pop("grid_code", None)
            update(actor=request.user, data=data, ip=client_ip(request), **{id_arg: obj.pk})
            return redirect(f"registry:{kind}", obj_id=obj.pk)
        except DomainError as exc:
            errors = _errors(exc)
            _fill(fields, data, errors)
    title = (_("Edit %(name)s") % {"name": str(obj)}) if obj else new_title
    back = reverse(f"registry:{kind}", args=[obj.pk]) if obj else reverse("registry:search") + f"?tab={kind}s"
    return _page(request, "registry/form.html", {"fields": fields, "errors": errors, "title": title,
                                                 "form_error": _unplaced(errors, fields), "back": back},
                 status=422 if errors else 200)


# --- a grid's page and the coverage ------------------------------------------------------------------------------
@login_required
def grid_page(request, code: str):
    grid = Region.objects.filter(code=code).first()
    if grid is None or not policy.grid_in_scope(request.user, grid):
        return _not_found(request)
    user = request.user
    people = selectors.person_list(user=user, grid=code)
    key_people = []
    if policy.can_see_key_tags(user):
        key_people = [selectors.person_out(p, user)
                      for p in people.filter(person_tags__tag__group=TagGroup.KEY).distinct()[:100]]
    care_people = [selectors.person_out(p, user)
                   for p in people.filter(person_tags__tag__group=TagGroup.CARE).distinct()[:100]]
    tree = selectors.coverage_tree(user=user, root=grid)
    from gridgov.fieldwork import selectors as patrols_selectors

    workers = list(grid.workers.filter(is_active=True))
    patrols = patrols_selectors.grid_patrol_days(user=user, grid=grid, limit=14)
    context = {
        "grid": grid, "coverage": tree.get(grid.pk), "target": selectors.coverage_target(),
        "people": [selectors.person_out(p, user) for p in people[:200]], "people_count": people.count(),
        "houses": [selectors.house_out(h) for h in selectors.house_list(user=user, grid=code)[:100]],
        "households_count": selectors.household_list(user=user, grid=code).count(),
        "units": [selectors.unit_out(u) for u in selectors.unit_list(user=user, grid=code)[:100]],
        "organisations": [selectors.organisation_out(o) for o in selectors.organisation_list(user=user,
                                                                                              grid=code)[:50]],
        "key_people": key_people, "care_people": care_people, "sees_key": policy.can_see_key_tags(user),
        "patrols": patrols, "workers": workers, "can_write": policy.can_write(user),
    }
    return _page(request, "registry/grid.html", context)


@login_required
def coverage_page(request):
    if not policy.can_read(request.user):
        return _forbidden(request)
    try:
        summary = selectors.coverage_summary(user=request.user, region_code=request.GET.get("region", ""))
    except NotFound:
        return _not_found(request)
    below = Paginator(summary["below_target"], 50).get_page(request.GET.get("page"))
    return _page(request, "registry/coverage.html", {**summary, "below": below,
                                                     "region_code": request.GET.get("region", "")})

