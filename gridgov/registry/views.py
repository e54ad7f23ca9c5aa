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
from gridgov.common.errors import DomainError, NotFound, ValidationFailed
from gridgov.registry import policy, selectors, services
from gridgov.registry.choices import OrgKind, Rental, Residence, UnitKind
from gridgov.registry.forms import (
    CoverageFilter,
    HouseForm,
    HouseholdForm,
    OrganisationForm,
    PersonForm,
    RevealForm,
    SearchForm,
    UnitForm,
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
    form = SearchForm(src)
    filters = form.filters()
    q = filters["q"]
    secret_query = selectors.is_secret_query(q)
    error = ValidationFailed(form.error_text()) if form.errors else None
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
               "reveal_form": RevealForm(auto_id=False)}
    return _page(request, "registry/person.html", context)


@login_required
def person_reveal(request, person_id: int):
    """htmx: POST field, purpose and text → the clear value in a fragment (never cached), or the box again with
    what was chosen and every reason it was refused (a 4xx the page swaps in, see web/htmx-errors.js)."""
    if request.method != "POST":
        return redirect("registry:person", person_id=person_id)
    form = RevealForm(request.POST, auto_id=False)
    field = form.data.get("field", "")[:16]
    status = 422
    try:
        if not policy.can_reveal(request.user):  # refused and audited by the service, whatever was sent
            services.person_reveal(actor=request.user, person_id=person_id, field=field, reason="",
                                   ip=client_ip(request))
        if form.is_valid():
            value = services.person_reveal(actor=request.user, person_id=person_id, ip=client_ip(request),
                                           **form.cleaned_data)
            response = render(request, "registry/_reveal.html", {"value": value, "field": field})
            response["Cache-Control"] = "no-store"
            return response
    except NotFound as exc:
        if not request.htmx:
            return _not_found(request)
        form.add_domain_error(exc)  # the box says so; a whole "not found" page would not be swapped into it
        status = exc.status
    except DomainError as exc:
        form.add_domain_error(exc)
        status = exc.status
    response = render(request, "registry/_reveal.html", {"form": form, "field": field, "person_id": person_id},
                      status=status)
    response["Cache-Control"] = "no-store"
    return response


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
    form = PersonForm(request.POST if request.method == "POST" else None, user=request.user, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            if person is None:
                saved = services.person_create(actor=request.user, data=form.service_data(), ip=client_ip(request))
                return redirect("registry:person", person_id=saved.obj.pk)
            services.person_update(actor=request.user, person_id=person.pk, data=form.service_data(),
                                   ip=client_ip(request))
            return redirect("registry:person", person_id=person.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    title = _("Edit %(name)s") % {"name": person.name} if person else _("Record a person")
    back = reverse("registry:person", args=[person.pk]) if person else reverse("registry:search")
    return _form_page(request, form, title, back)


def _form_page(request, form, title, back):
    return _page(request, "registry/form.html", {"form": form, "title": title, "back": back},
                 status=422 if form.errors else 200)


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


FORMS = {
    "house": (HouseForm, services.house_create, services.house_update, "house_id", gettext_lazy("Record a house")),
    "household": (HouseholdForm, services.household_create, services.household_update, "household_id",
                  gettext_lazy("Record a household")),
    "unit": (UnitForm, services.unit_create, services.unit_update, "unit_id",
             gettext_lazy("Record a unit or enterprise")),
    "organisation": (OrganisationForm, services.organisation_create, services.organisation_update,
                     "organisation_id", gettext_lazy("Record a social organisation")),
}


@login_required
def record_form(request, kind: str, obj_id: int | None = None):
    if not policy.can_write(request.user):
        return _forbidden(request)
    model = KINDS[kind][0]
    form_class, create, update, id_arg, new_title = FORMS[kind]
    obj = None
    if obj_id is not None:
        try:
            obj = selectors.access(model, request.user, obj_id)
        except NotFound:
            return _not_found(request)
    form = form_class(request.POST if request.method == "POST" else None, user=request.user, instance=obj)
    if request.method == "POST" and form.is_valid():
        try:
            if obj is None:
                saved = create(actor=request.user, data=form.service_data(), ip=client_ip(request))
                return redirect(f"registry:{kind}", obj_id=saved.obj.pk)
            update(actor=request.user, data=form.service_data(), ip=client_ip(request), **{id_arg: obj.pk})
            return redirect(f"registry:{kind}", obj_id=obj.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    title = (_("Edit %(name)s") % {"name": str(obj)}) if obj else new_title
    back = reverse(f"registry:{kind}", args=[obj.pk]) if obj else reverse("registry:search") + f"?tab={kind}s"
    return _form_page(request, form, title, back)


# --- the coverage ------------------------------------------------------------------------------
@login_required
def coverage_page(request):
    if not policy.can_read(request.user):
        return _forbidden(request)
    try:
        region_code = CoverageFilter(request.GET).values()["region"]
        summary = selectors.coverage_summary(user=request.user, region_code=region_code)
    except NotFound:
        return _not_found(request)
    below = Paginator(summary["below_target"], 50).get_page(request.GET.get("page"))
    return _page(request, "registry/coverage.html", {**summary, "below": below,
                                                     "region_code": region_code})

