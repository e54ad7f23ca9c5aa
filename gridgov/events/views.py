"""Case pages: the list by queue (dispatcher workbench, department inbox, worker's list), one case, the report form.
Moves are made through the API (one gatekeeper); the pages only render."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department
from gridgov.common.errors import NotFound
from gridgov.common.photos import photo_response
from gridgov.events import selectors, services
from gridgov.events.api import REPORTING_ROLES
from gridgov.events.choices import Satisfaction
from gridgov.events.forms import CaseListFilter


def _page(request, template, context, status=200):
    context["nav"] = "events"
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"  # reporters' names and phones appear on case pages
    return response


@login_required
def case_list(request):
    queues = selectors.ROLE_QUEUES.get(request.user.role, [])
    counts = selectors.queue_counts(user=request.user)
    # no queue asked for (or one the role has not): open on the first queue with cases in it
    form = CaseListFilter(request.GET, queues=queues, initial=selectors.first_queue(request.user, counts))
    filters = form.values()
    queue, q = filters["queue"] or "", filters["q"] or ""
    events = selectors.event_list(user=request.user, queue=queue or None, q=q or None)
    page = Paginator(events, 30).get_page(request.GET.get("page"))
    tabs = [(name, selectors.queue_label(name, request.user), counts.get(name, 0)) for name in queues]
    markers = [{"id": e.pk, "number": e.number, "lon": e.lon, "lat": e.lat, "category": e.category.name,
                "overdue": selectors.is_overdue(e)} for e in page]
    context = {"tabs": tabs, "queue": queue, "page": page, "q": q, "markers": markers, "problems": form.problems(),
               "can_report": request.user.role in REPORTING_ROLES, "now": selectors.timezone.now()}
    return _page(request, "events/list.html", context)


@login_required
def case_detail(request, event_id: int):
    try:
        event = selectors.access_event(request.user, event_id)
    except NotFound:
        return _page(request, "web/not_found.html", {}, status=404)
    from gridgov.events.workflow import PHOTO_KINDS

    allowed = services.event_allowed(event, request.user)
    actions = [(a["action"], a["label"], a["action"] in PHOTO_KINDS) for a in allowed]
    photo_moves = "、".join(label for _a, label, photos in actions if photos)  # the photo field says what it is for
    departments = []
    if any(a == "dispatch" for a, _label, _photos in actions):
        departments = Department.objects.filter(is_active=True).order_by("region__code", "code")
    context = {
        "event": event, "actions": actions, "departments": departments,
        "assignments": selectors.event_parts(event),
        "timeline": selectors.event_timeline(event), "photos": event.photos.all(),
        "overdue": selectors.is_overdue(event), "expiring": selectors.is_expiring(event),
        "satisfactions": Satisfaction.choices, "photo_moves": photo_moves,
    }
    return _page(request, "events/detail.html", context)


@login_required
def photo_file(request, photo_id: int, variant: str):
    """A case photo, only for someone who may see the case; served as bytes that never execute."""
    from django.http import Http404

    from gridgov.events.models import Event, Photo

    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    visible = photo.uploaded_by_id == request.user.pk if photo.event_id is None else \
        Event.objects.restrict(request.user).filter(pk=photo.event_id).exists()
    if not visible:
        raise Http404
    return photo_response(photo.thumbnail if variant == "thumb" else photo.file)


@login_required
def report_form(request):
    if request.user.role not in REPORTING_ROLES:
        return _page(request, "web/not_found.html", {}, status=404)
    from gridgov.common.roles import Role
    from gridgov.events.api import DISPATCHER_CHANNELS
    from gridgov.events.choices import Channel

    dispatcher = request.user.role == Role.DISPATCHER
    channels = [(c.value, c.label) for c in Channel if c in DISPATCHER_CHANNELS]
    return _page(request, "events/report.html", {"categories": selectors.category_tree(), "dispatcher": dispatcher,
                                                 "channels": channels})


# --- the citizen channel (public pages, no login) ------------------------------------------------------------------
def _public(request, template, context, status=200):
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def citizen_form(request, code: str):
    from django.shortcuts import redirect

    from gridgov.common.audit import client_ip
    from gridgov.common.errors import DomainError
    from gridgov.events import citizen
    from gridgov.events.forms import CitizenReportForm

    grid = _citizen_grid(code)
    if grid is None:
        return _public(request, "events/citizen_gone.html", {}, status=404)
    if request.method == "POST" and request.POST.get("website"):  # a honeypot no person fills in
        return redirect("events:citizen-thanks")
    form = CitizenReportForm(request.POST if request.method == "POST" else None, request.FILES or None)
    kept = citizen.citizen_kept_photos(request.POST.get("kept_photos", ""), grid=grid) if request.POST else []
    photos = []
    if request.method == "POST":
        try:
            citizen.rate_limit(client_ip(request))  # every attempt counts, before anything is read
            if form.is_valid():
                d = form.cleaned_data
                photos = [f.read() for f in d["photos"]]
                event = citizen.citizen_report(
                    grid=grid, category_code=d["category"], description=d["description"], lon=d["lon"],
                    lat=d["lat"], name=d["name"], phone=d["phone"], photos=photos, kept=kept)
                return redirect("events:citizen-track", token=event.citizen_token)
        except DomainError as exc:
            form.add_domain_error(exc)
            if "lon" in form.errors:  # a refused place (alone or with other problems): say what the map is for
                form.errors["lon"] = form.error_class([_(
                    "This place is not in any grid of the district: move the pin on the map to where the problem "
                    "is and submit again, or use this grid's location.")])
    # A browser cannot refill a file field: the photos of a report that comes back are kept on the server for its
    # next try; those that could not be kept (not images, too many) are to be added again.
    kept_token, kept_count = "", 0
    if form.errors and not photos and form.cleaned_data.get("photos"):  # another field was wrong: photos unread
        photos = [f.read() for f in form.cleaned_data["photos"]]
    if form.errors and (photos or kept):
        kept_token, kept_count = citizen.citizen_keep_photos(grid=grid, photos=photos, kept=kept)
    photos_dropped = bool(form.errors and len(request.FILES.getlist("photos")) + len(kept) > kept_count)
    context = {"grid": grid, "form": form, "photos_dropped": photos_dropped, "kept_token": kept_token,
               "kept_count": kept_count}
    return _public(request, "events/citizen_form.html", context, status=422 if form.errors else 200)


def _citizen_grid(code: str):
    from gridgov.regions.models import Region

    return Region.objects.filter(code=code, level__in=["grid", "micro", "special"]).exclude(status="retired").first()


def citizen_grids(request, code: str):
    """The outlines of the scanned grid and the grids around it, for the citizen's map (public: names and codes are
    on the notice boards). No map tiles are needed: the outlines are the map."""
    from django.http import Http404, JsonResponse

    from gridgov.regions.selectors import public_grids_near

    grid = _citizen_grid(code)
    if grid is None:
        raise Http404
    features = [{"type": "Feature", "geometry": r.geometry,
                 "properties": {"code": r.code, "name": r.name, "home": r.pk == grid.pk}}
                for r in public_grids_near(grid) if r.geometry]
    response = JsonResponse({"type": "FeatureCollection", "features": features},
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=300"
    return response


def citizen_where(request, code: str):
    """Which grid the citizen's pin is in: ``{"grid": name}``, or ``{"grid": null}`` outside the district's grids."""
    from django.http import Http404, JsonResponse

    from gridgov.events.forms import CitizenPointForm
    from gridgov.regions.selectors import grid_name_at

    if _citizen_grid(code) is None:
        raise Http404
    form = CitizenPointForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"code": "invalid", "message": str(_("Give the point as lon and lat in degrees."))},
                            status=422)
    response = JsonResponse({"grid": grid_name_at(**form.cleaned_data)}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def citizen_thanks(request):
    return _public(request, "events/citizen_track.html", {"event": None})


def citizen_track(request, token: str):
    from gridgov.common.errors import DomainError
    from gridgov.events import citizen
    from gridgov.events.forms import CitizenRatingForm

    event = citizen.citizen_case(token)
    if event is None:
        return _public(request, "events/citizen_gone.html", {}, status=404)
    can_rate = event.status == "closed"
    form = CitizenRatingForm(request.POST if request.method == "POST" and can_rate else None)
    context = {"event": event, "form": form, "can_rate": can_rate, "result": selectors.event_result(event),
               "token": token}
    if form.is_bound and form.is_valid():
        try:
            event = citizen.citizen_rate(token=token, **form.cleaned_data)
            context.update(event=event, can_rate=False, rated=True)
        except DomainError as exc:
            form.add_domain_error(exc)
    return _public(request, "events/citizen_track.html", context)


def citizen_photo(request, token: str, photo_id: int, variant: str):
    """A result photo of the citizen's own case, through its private link (no login; other photos stay inside)."""
    from django.http import Http404

    from gridgov.events import citizen

    photo = citizen.citizen_result_photo(token, photo_id)
    if photo is None:
        raise Http404
    return photo_response(photo.thumbnail if variant == "thumb" else photo.file, cache="private, no-store")


@login_required
def grid_notice(request, region_id: int):
    """A printable notice for the grid's board: who serves it and the QR code citizens scan to report."""
    from gridgov.accounts.selectors import region_responsible
    from gridgov.events.citizen import citizen_form_url, qr_svg
    from gridgov.regions.selectors import access_region

    try:
        grid = access_region(request.user, region_id)
    except NotFound:
        return _page(request, "web/not_found.html", {}, status=404)
    url, fallback_host = citizen_form_url(grid, request)
    context = {"grid": grid, "url": url, "qr": qr_svg(url), "responsible": region_responsible(grid),
               "fallback_host": fallback_host}
    return _page(request, "events/notice.html", context)
