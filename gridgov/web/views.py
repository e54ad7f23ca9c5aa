"""Pages. Views stay thin: they call selectors and render."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from gridgov.accounts import selectors as account_selectors
from gridgov.common.api_errors import request_refusal
from gridgov.common.errors import NotFound
from gridgov.regions import selectors
from gridgov.regions.choices import Level
from gridgov.regions.models import Layer, Region
from gridgov.regions.validation import grid_validation_report
from gridgov.registry import policy as registry_policy
from gridgov.registry import selectors as registry_selectors
from gridgov.registry.choices import TagGroup
from gridgov.web.forms import RegionFilter, ValidationFilter


def _render(request, template, context, nav):
    context["nav"] = nav
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"  # pages show people responsible for grids
    return response


@login_required
def home(request):
    """Everyone's own work: the figures of ``gridgov/web/home.py``, each linking to the list it counts."""
    from gridgov.accounts.selectors import person_label
    from gridgov.web.home import home_sections

    context = home_sections(request.user)
    context["who"] = person_label(request.user)
    if request.user.role == "sys_admin":  # the one who keeps the map also keeps its layers
        context["layers"] = Layer.objects.annotate(n=Count("grids")).order_by("sort_order", "code")
    return _render(request, "web/home.html", context, "home")


@login_required
def map_view(request):
    return _render(request, "web/map.html", {"layers": Layer.objects.all()}, "map")


@login_required
def region_list(request):
    form = RegionFilter(request.GET)
    filters = form.values()
    q, level = filters["q"], filters["level"]
    qs = selectors.region_list(user=request.user, level=level or None, q=q or None).select_related("parent")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "level": level, "levels": Level.choices, "problems": form.problems()}
    template = "web/_region_rows.html" if request.htmx else "web/regions.html"
    return _render(request, template, context, "regions")


@login_required
def region_detail(request, region_id: int):
    try:
        region = selectors.access_region(request.user, region_id)
    except NotFound:
        return _not_found(request)
    context = {
        "region": region,
        "ancestors": selectors.region_ancestors(region),
        "children": selectors.region_list(user=request.user, parent_id=region.pk),
        "responsible": account_selectors.region_responsible(region),
        "history": selectors.region_history(region),
        "layer_grids": region.layer_grids_over.select_related("layer").order_by("layer__sort_order", "code"),
    }
    return _render(request, "web/region.html", context, "regions")


def _not_found(request):
    response = render(request, "web/not_found.html", {"nav": "regions"}, status=404)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def validation(request):
    qs = Region.objects.restrict(request.user)
    root_code = ValidationFilter(request.GET).values()["root"]
    root = qs.filter(code=root_code).first() if root_code else None
    if root is not None:
        qs = qs.subtree(root)
    report = grid_validation_report(regions_qs=qs)
    roots = Region.objects.restrict(request.user).current().filter(level__in=[Level.DISTRICT, Level.STREET,
                                                                                Level.COMMUNITY]).order_by("code")
    context = {"report": report, "counts": report.counts(), "root": root, "roots": roots, "root_code": root_code}
    return _render(request, "web/validation.html", context, "validation")


def _registry_page(request, template, context, status=200):
    context["nav"] = "registry"
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"  # names, addresses and masked numbers of residents
    return response


@login_required
def grid_registry(request, code: str):
    """A grid's page: its people, houses, units, key persons, coverage and latest patrols. It combines the registry
    with the patrols, so it lives here, above both."""
    grid = Region.objects.filter(code=code).first()
    if grid is None or not registry_policy.grid_in_scope(request.user, grid):
        return _registry_page(request, "web/not_found.html", {}, status=404)
    user = request.user
    people = registry_selectors.person_list(user=user, grid=code)
    key_people = []
    if registry_policy.can_see_key_tags(user):
        key_people = [registry_selectors.person_out(p, user)
                      for p in people.filter(person_tags__tag__group=TagGroup.KEY).distinct()[:100]]
    care_people = [registry_selectors.person_out(p, user)
                   for p in people.filter(person_tags__tag__group=TagGroup.CARE).distinct()[:100]]
    tree = registry_selectors.coverage_tree(user=user, root=grid)
    from gridgov.fieldwork import selectors as patrols_selectors

    workers = list(grid.workers.filter(is_active=True))
    patrols = patrols_selectors.grid_patrol_days(user=user, grid=grid, limit=14)
    context = {
        "grid": grid, "coverage": tree.get(grid.pk), "target": registry_selectors.coverage_target(),
        "people": [registry_selectors.person_out(p, user) for p in people[:200]], "people_count": people.count(),
        "houses": [registry_selectors.house_out(h) for h in registry_selectors.house_list(user=user, grid=code)[:100]],
        "households_count": registry_selectors.household_list(user=user, grid=code).count(),
        "units": [registry_selectors.unit_out(u) for u in registry_selectors.unit_list(user=user, grid=code)[:100]],
        "organisations": [registry_selectors.organisation_out(o) for o in registry_selectors.organisation_list(user=user,
                                                                                              grid=code)[:50]],
        "key_people": key_people, "care_people": care_people, "sees_key": registry_policy.can_see_key_tags(user),
        "patrols": patrols, "workers": workers, "can_write": registry_policy.can_write(user),
    }
    return _registry_page(request, "registry/grid.html", context)


# -- error pages (config/urls.py handler400 … and CSRF_FAILURE_VIEW); under /api/ the middleware answers JSON ------
def error_page(request, status: int, message: str, title: str | None = None):
    titles = {400: _("The request cannot be read"), 403: _("Not allowed"), 404: _("Not found"),
              413: _("Too large"), 500: _("Server error")}
    title = title or titles.get(status) or titles[400]
    # Without the request's context processors: the page must render even when the database does not answer.
    response = HttpResponse(render_to_string("web/error.html", {"status": status, "title": title,
                                                                "message": message}), status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    """A request refused before any view (gridgov.common.middleware) or one Django would not read."""
    refusal = request_refusal(exception) if exception is not None else None
    if refusal is not None:
        status, message = refusal[0], refusal[1]["message"]
    else:
        status = getattr(exception, "status", 400)
        message = getattr(exception, "message", "") or _("The request cannot be read: check what you entered and "
                                                         "try again.")
    field = getattr(exception, "field", None)
    if field and field != "body":
        message = _("%(field)s: %(message)s") % {"field": field, "message": message}
    return error_page(request, status, message)


def permission_denied(request, exception=None):
    return error_page(request, 403, _("You may not open this page."))


def page_not_found(request, exception=None):
    return error_page(request, 404, _("There is no such page, or it is outside your area."))


def server_error(request):
    return error_page(request, 500, _("Something went wrong on the server; it has been logged. Try again later."))


def csrf_failure(request, reason=""):
    return error_page(request, 403, _("The form has expired (the security check failed): go back, reload the page "
                                      "and send it again."))
