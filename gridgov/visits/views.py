"""Visit pages: the visit log (per household, person or unit: /visits/?person=<id>), one visit, the phone form,
and the overdue-visit lists. Writes go through ``services.visit_record`` (the form posts here, the field app to
the API); pages with people's names are no-store."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.common.audit import client_ip
from gridgov.common.errors import DomainError, NotFound, ValidationFailed
from gridgov.common.photos import photo_response
from gridgov.visits import selectors, services
from gridgov.visits.api import read_photos
from gridgov.visits.choices import VisitPurpose
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


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@login_required
def visit_log(request):
    user = request.user
    if user.role not in VISIT_READERS:
        return _not_found(request)
    filters = {k: _int(request.GET.get(k)) for k in ("person", "household", "unit", "worker")}
    target, kind = None, next((k for k in ("person", "household", "unit") if filters[k]), None)
    if kind:
        try:
            target = selectors.access_target(user, kind, filters[kind])
        except NotFound:
            return _not_found(request)
    visits = selectors.visit_list(user=user, **filters).prefetch_related("photos")
    page = Paginator(visits, 30).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    context = {"page": page, "target": target, "kind": kind, "target_name": selectors.target_label(target)
               if target else "", "query": query, "can_record": user.role in VISITOR_ROLES}
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
    values = request.POST if request.method == "POST" else request.GET
    chosen = None
    for kind in ("household", "person", "unit"):
        if target_id := _int(values.get(kind) if request.method == "GET" else None):
            try:
                chosen = (kind, selectors.access_target(user, kind, target_id))
            except NotFound:
                return _not_found(request)
    context = {"purposes": VisitPurpose.choices, "values": values, "chosen": chosen,
               "client_key": values.get("client_key") or uuid.uuid4().hex, "results": []}
    if request.method == "POST":
        kind, _sep, target_id = (request.POST.get("target") or "").partition(":")
        try:
            visited_at = parse_datetime(request.POST.get("visited_at") or "") if request.POST.get("visited_at") \
                else None
            if request.POST.get("visited_at") and visited_at is None:
                raise ValidationFailed(_("Must be a date and time."), field="visited_at")
            lon, lat = _float(request.POST.get("lon")), _float(request.POST.get("lat"))
            visit, _created = services.visit_record(
                actor=user, purpose=request.POST.get("purpose") or VisitPurpose.ROUTINE,
                findings=request.POST.get("findings", ""), visited_at=visited_at, lon=lon, lat=lat,
                photos=read_photos(request.FILES.getlist("photos")), client_key=request.POST.get("client_key", ""),
                ip=client_ip(request), **({kind: _int(target_id)} if kind in selectors.TARGETS else {}))
        except DomainError as exc:
            context["error"] = exc
            if kind in selectors.TARGETS and _int(target_id):
                try:
                    context["chosen"] = (kind, selectors.access_target(user, kind, _int(target_id)))
                except NotFound:
                    pass
            return _page(request, "visits/form.html", context, status=422)
        messages.success(request, _("Visit recorded."))
        return redirect(f"{reverse('visits:log')}?{_kind_of(visit)}={_target_id(visit)}")
    context["results"] = [] if chosen else selectors.target_search(user=user, limit=10)
    return _page(request, "visits/form.html", context)


def _kind_of(visit) -> str:
    return "household" if visit.household_id else "person" if visit.person_id else "unit"


def _target_id(visit) -> int:
    return visit.household_id or visit.person_id or visit.unit_id


def _float(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        raise ValidationFailed(_("Must be a number."), field="lon") from None


@login_required
def target_search(request):
    """The form's search box (htmx): matching households, people and units in the user's area."""
    if request.user.role not in VISITOR_ROLES:
        return _not_found(request)
    results = selectors.target_search(user=request.user, q=request.GET.get("q", ""), limit=10)
    response = render(request, "visits/_targets.html", {"results": results})
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
    try:
        worker = selectors.access_worker(user, _int(request.GET.get("worker")))
    except DomainError:
        return _not_found(request)
    own = worker.pk == user.pk and user.role == "grid_worker"
    context = {"worker": worker, "own": own, "workers": [],
               "household_days": selectors.settings.GRIDGOV_HOUSEHOLD_VISIT_DAYS}
    if user.role in OVERSEERS:
        context["workers"] = selectors.overdue_by_worker(viewer=user)
    if worker.role == "grid_worker":
        context["dues"] = selectors.overdue_for_worker(viewer=user, worker=worker)
        context["grids"] = list(worker.grids.values_list("name", flat=True))
    return _page(request, "visits/overdue.html", context)
