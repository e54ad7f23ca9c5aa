"""Visit pages: the visit log (per household, person or unit: /visits/?person=<id>), one visit, the phone form,
and the overdue-visit lists. Writes go through ``services.visit_record`` (the form posts here, the field app to
the API); pages with people's names are no-store."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.common.audit import client_ip
from gridgov.common.errors import DomainError, NotFound
from gridgov.common.photos import photo_response
from gridgov.visits import selectors, services
from gridgov.visits.api import read_photos
from gridgov.visits.choices import VisitPurpose
from gridgov.visits.forms import TargetSearchForm, VisitFilterForm, VisitForm
from gridgov.visits.models import OVERSEERS, VISIT_READERS, VISITOR_ROLES, VisitPhoto


def _page(request, template, context, status=200):
    context["nav"] = "visits"
    context["visit_tabs"] = _tabs(request.user)
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"  # names of people and households
    return response


def _tabs(user) -> list[tuple[str, str]]:
    tabs = []
    if user.role == "grid_worker":
        tabs.append(("visits:overdue", _("My overdue visits")))
    elif user.role in OVERSEERS:
        tabs.append(("visits:overdue", _("Overdue visits")))
    tabs.append(("visits:log", _("Visit log")))
    if user.role in VISITOR_ROLES:
        tabs.append(("visits:new", _("Record a visit")))
    return tabs


def _not_found(request):
    return _page(request, "web/not_found.html", {}, status=404)


@login_required
def visit_log(request):
    user = request.user
    if user.role not in VISIT_READERS:
        return _not_found(request)
    filters = VisitFilterForm(request.GET)
    if not filters.is_valid():  # a link with an id that cannot be one
        return _not_found(request)
    values, chosen = filters.values(), filters.target()
    target = None
    if chosen:
        try:
            target = selectors.access_target(user, *chosen)
        except NotFound:
            return _not_found(request)
    visits = selectors.visit_list(user=user, **values).prefetch_related("photos")
    page = Paginator(visits, 30).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in values.items() if v)
    context = {"page": page, "target": target, "kind": chosen[0] if chosen else None,
               "target_name": selectors.target_label(target) if target else "", "query": query,
               "can_record": user.role in VISITOR_ROLES}
    return _page(request, "visits/log.html", context)


@login_required
def visit_detail(request, visit_id: int):
    try:
        visit = selectors.access_visit(request.user, visit_id)
    except NotFound:
        return _not_found(request)
    return _page(request, "visits/detail.html", {"visit": visit, "target": services_target(visit)})


def services_target(visit):
    for kind in ("household", "person", "unit"):
        obj = getattr(visit, kind)
        if obj is not None:
            return {"kind": kind, "id": obj.pk, "name": selectors.target_label(obj)}
    return None


@login_required
def visit_form(request):
    user = request.user
    if user.role not in VISITOR_ROLES:
        return _not_found(request)
    chosen, wanted = None, VisitFilterForm(request.GET)
    if request.method == "GET" and not wanted.is_valid():
        return _not_found(request)
    if request.method == "GET" and (wanted := wanted.target()):
        try:
            chosen = (wanted[0], selectors.access_target(user, *wanted))
        except NotFound:
            return _not_found(request)
    form = VisitForm(request.POST if request.method == "POST" else None, request.FILES or None,
                     initial={"client_key": uuid.uuid4().hex, "purpose": VisitPurpose.ROUTINE})
    if request.method == "POST":
        if form.is_valid():
            try:
                visit, _created = services.visit_record(
                    actor=user, photos=read_photos(form.cleaned_data["photos"]), ip=client_ip(request),
                    **form.service_kwargs())
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("Visit recorded."))
                return redirect(f"{reverse('visits:log')}?{_kind_of(visit)}={_target_id(visit)}")
        if (target := form.cleaned_data.get("target")) is not None:  # keep the chosen one on the page
            try:
                chosen = (target[0], selectors.access_target(user, *target))
            except NotFound:
                pass
    context = {"form": form, "purposes": VisitPurpose.choices, "chosen": chosen,
               "results": [] if chosen else selectors.target_search(user=user, limit=10)}
    return _page(request, "visits/form.html", context, status=422 if form.errors else 200)


def _kind_of(visit) -> str:
    return "household" if visit.household_id else "person" if visit.person_id else "unit"


def _target_id(visit) -> int:
    return visit.household_id or visit.person_id or visit.unit_id


@login_required
def target_search(request):
    """The form's search box (htmx): matching households, people and units in the user's area."""
    if request.user.role not in VISITOR_ROLES:
        return _not_found(request)
    form = TargetSearchForm(request.GET)
    results = selectors.target_search(user=request.user, q=form.values()["q"], limit=10)
    response = render(request, "visits/_targets.html", {"results": results, "problems": form.problems()})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def photo_file(request, photo_id: int, variant: str):
    """A visit photo, only for someone who may see the visit."""
    from django.http import Http404

    photo = VisitPhoto.objects.filter(pk=photo_id).first()
    if photo is None or not selectors.Visit.objects.filter(pk=photo.visit_id).restrict(
                                                      request.user).exists():
        raise Http404
    return photo_response(photo.thumbnail.name if variant == "thumb" else photo.file.name)


@login_required
def overdue(request):
    user = request.user
    filters = VisitFilterForm(request.GET)
    try:
        if not filters.is_valid():
            raise NotFound("")
        worker = selectors.access_worker(user, filters.values()["worker"])
    except DomainError:
        return _not_found(request)
    own = worker.pk == user.pk and user.role == "grid_worker"
    context = {"worker": worker, "own": own, "workers": [],
               "household_days": selectors.settings.GRIDGOV_HOUSEHOLD_VISIT_DAYS}
    if user.role in OVERSEERS:
        area = selectors.overdue_area(viewer=user)
        context["workers"], context["area_total"] = area["workers"], area["total"]
    if worker.role == "grid_worker":
        context["dues"] = selectors.overdue_for_worker(viewer=user, worker=worker)
        context["grids"] = list(worker.grids.values_list("name", flat=True))
    return _page(request, "visits/overdue.html", context)
