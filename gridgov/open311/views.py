"""Open311 GeoReport v2 over our cases (docs/open311.md).

Reading is public (service requests are public information; nothing personal is shown). Filing a request needs an
api_key of an active ``Open311Client``; the case is taken in by ``event_report`` like any other channel, so it is
located, checked against the district, linked to duplicates, routed and dispatched before we answer.
"""

import datetime as dt
import math
import re
from functools import wraps

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gridgov.common.audit import client_ip
from gridgov.common.calendar import parse_moment
from gridgov.common.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from gridgov.common.ratelimit import client_rate_hit
from gridgov.events.attributes import attribute_answers
from gridgov.events.choices import Channel
from gridgov.events.idempotency import run_idempotent
from gridgov.events.models import Category
from gridgov.events.services import Report
from gridgov.open311.formats import Open311Error, render, render_error
from gridgov.open311.models import Open311Client
from gridgov.open311.public import (
    CLOSED,
    DEFAULT_SPAN,
    MAX_REQUESTS,
    Taxonomy,
    public_photo,
    public_requests,
    request_out,
    service_definition_out,
    service_notice,
    service_out,
    w3,
)
from gridgov.open311.services import open311_request_create

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Our field names in event_report's refusals → the Open311 argument at fault.
FIELDS = {"lon": "long", "lat": "lat", "category": "service_code", "description": "description",
          "address": "address_string", "reporter_name": "first_name, last_name", "reporter_phone": "phone"}


def field_error(status: int, field: str, message) -> Open311Error:
    return Open311Error(status, _("%(field)s: %(message)s") % {"field": field, "message": message})


class RateLimited(Open311Error):
    """429 with Retry-After: the client made GRIDGOV_CLIENT_REQUESTS_PER_MINUTE requests in its current minute."""

    def __init__(self, hit):
        super().__init__(429, _("Too many requests: at most %(limit)d a minute for each api_key. Try again in "
                                "%(seconds)d seconds.") % {"limit": hit.limit, "seconds": hit.retry_after})
        self.retry_after = hit.retry_after


def endpoint(*methods: str, jurisdiction: bool = True):
    """Answer in the requested format; refuse other methods, an unknown jurisdiction_id and any refused input in
    the spec's error format with the matching HTTP status."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, fmt: str, **kwargs):
            try:
                if request.method not in allowed:
                    response = render_error(fmt, 405, _("Method %(method)s is not allowed here; use %(allowed)s.")
                                            % {"method": request.method, "allowed": ", ".join(methods)})
                    response["Allow"] = ", ".join(sorted(allowed))
                    return response
                if jurisdiction:
                    _check_jurisdiction(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                response = render_error(fmt, exc.status, exc.description)
                if isinstance(exc, RateLimited):
                    response["Retry-After"] = str(exc.retry_after)
                return response
        # A machine interface: clients authenticate with api_key, never with a session cookie, so CSRF does not
        # apply (and a wrong method gets our 405, not Django's CSRF page).
        return csrf_exempt(wrapper)
    return decorate


def _params(request):
    return request.POST if request.method == "POST" else request.GET


def _check_jurisdiction(request) -> None:
    given = (_params(request).get("jurisdiction_id") or "").strip()
    if given and given != settings.GRIDGOV_OPEN311_JURISDICTION:
        raise field_error(404, "jurisdiction_id", _("Unknown jurisdiction %(given)s; this endpoint serves %(ours)s.")
                          % {"given": given[:64], "ours": settings.GRIDGOV_OPEN311_JURISDICTION})


# --- discovery and services ----------------------------------------------------------------------------------------
@endpoint("GET", jurisdiction=False)
def discovery(request, fmt):
    changed = Category.objects.aggregate(at=Max("updated_at"))["at"] or timezone.now()
    discovery_url = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    district = settings.GRIDGOV_DISTRICT_NAME
    return render(fmt, "discovery", {
        "changeset": w3(changed),
        "contact": _("%(district)s grid management platform (gridgov)") % {"district": district} if district
        else _("gridgov grid management platform"),
        "key_service": _("Ask the platform's system administrator for an api_key (see docs/open311.md)."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": discovery_url.rsplit("/", 1)[0],
            "changeset": w3(changed),
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    })


@endpoint("GET")
def service_list(request, fmt):
    taxonomy = Taxonomy.load()
    return render(fmt, "services", [service_out(c, taxonomy) for c in taxonomy.services()])


def _service(code: str) -> Category:
    category = Taxonomy.load().service(code)
    if category is None:
        raise field_error(404, "service_code", _("Unknown service %(code)s; GET services for the list.")
                          % {"code": code[:32]})
    return category


@endpoint("GET")
def service_definition(request, code, fmt):
    category = _service(code)
    return render(fmt, "service_definition", service_definition_out(category))


# --- service requests ----------------------------------------------------------------------------------------------
@endpoint("GET", "POST")
def requests_view(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    return _search(request, fmt)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _when(request, field: str) -> dt.datetime | None:
    raw = (request.GET.get(field) or "").strip()
    if not raw:
        return None
    when = parse_moment(raw)
    if when is None:
        raise field_error(400, field, _("Not an ISO 8601 date and time such as 2026-01-05T08:00:00+08:00."))
    return when


def _search(request, fmt):
    taxonomy = Taxonomy.load()
    qs = public_requests(taxonomy)
    ids = _split(request.GET.get("service_request_id"))
    if ids:  # the spec: "this overrides all other arguments"
        qs = qs.filter(number__in=ids[:MAX_REQUESTS])
    else:
        codes = _split(request.GET.get("service_code"))
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = set(_split(request.GET.get("status")))
        if statuses - {"open", "closed"}:
            raise field_error(400, "status", _("Use open or closed (comma-separated for both)."))
        if statuses == {"open"}:
            qs = qs.exclude(status__in=CLOSED)
        elif statuses == {"closed"}:
            qs = qs.filter(status__in=CLOSED)
        start, end = _when(request, "start_date"), _when(request, "end_date")
        if start and end and end < start:
            raise field_error(400, "end_date", _("The end date is before the start date."))
        if start and end and end - start > DEFAULT_SPAN:
            raise field_error(400, "end_date", _("A search may span at most %(days)d days.")
                              % {"days": DEFAULT_SPAN.days})
        if start is None and end is None:
            end = timezone.now()
        start = start or end - DEFAULT_SPAN
        end = end or start + DEFAULT_SPAN
        qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
    return render(fmt, "service_requests", [request_out(e, request) for e in qs[:MAX_REQUESTS]])


def _visible(number: str, field: str):
    event = public_requests(Taxonomy.load()).filter(number=number).first()
    if event is None:
        raise field_error(404, field, _("No service request %(id)s.") % {"id": number[:32]})
    return event


@endpoint("GET")
def request_detail(request, request_id, fmt):
    return render(fmt, "service_requests", [request_out(_visible(request_id, "service_request_id"), request)])


@endpoint("GET")
def token_detail(request, token, fmt):
    """We create requests synchronously, so a token is simply the case number (service_request_id)."""
    event = _visible(token, "token")
    return render(fmt, "service_requests", [{"service_request_id": event.number, "token": token}])


def media(request, photo_id: int):
    """``media_url``: the thumbnail of a case's first report photo (EXIF stripped when it was stored), public like
    the request itself."""
    from django.http import Http404

    from gridgov.common.photos import photo_response

    photo = public_photo(photo_id) if request.method == "GET" else None
    if photo is None:
        raise Http404
    return photo_response(photo.thumbnail, cache="public, max-age=3600")


# --- POST requests ----------------------------------------------------------------------------------------------------
def _client(data) -> Open311Client:
    key = (data.get("api_key") or "").strip()
    if not key:
        raise field_error(403, "api_key", _("An api_key is required to create a service request."))
    client = Open311Client.authenticate(key)
    if client is None:
        raise field_error(403, "api_key", _("This api_key is invalid or has been revoked."))
    return client


def _coordinate(data, field: str, low: float, high: float) -> float:
    try:
        value = float(data.get(field, "").strip())
    except ValueError:
        raise field_error(400, field, _("Must be a number.")) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise field_error(400, field, _("Must be a WGS84 coordinate in degrees."))
    return value


def _location(data) -> tuple[float, float]:
    has_lat, has_long = bool(data.get("lat", "").strip()), bool(data.get("long", "").strip())
    if not has_lat and not has_long:
        if data.get("address_string", "").strip():
            raise field_error(400, "address_string", _(
                "We place a request in its grid by its coordinates and cannot locate an address: send lat and "
                "long (WGS84) as well."))
        if data.get("address_id", "").strip():
            raise field_error(400, "address_id", _("address_id is not supported: send lat and long (WGS84)."))
        raise field_error(400, "lat, long", _("A location is required: send lat and long (WGS84)."))
    if not has_lat:
        raise field_error(400, "lat", _("lat is missing (long was sent)."))
    if not has_long:
        raise field_error(400, "long", _("long is missing (lat was sent)."))
    return _coordinate(data, "lat", -90, 90), _coordinate(data, "long", -180, 180)


_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")


def _attributes(data) -> dict[str, list[str]]:
    """``attribute[code]=value`` and, for a multivaluelist, ``attribute[code][]=v1&attribute[code][]=v2`` (the
    spec's forms) → {code: [values]}."""
    given: dict[str, list[str]] = {}
    for key, values in data.lists():
        if match := _ATTRIBUTE.match(key):
            given.setdefault(match.group(1), []).extend(values)
    return given


def _person(first: str, last: str) -> str:
    """张 + 三 → 张三; John + Smith → John Smith."""
    first, last = first.strip(), last.strip()
    if re.search(r"[\u3400-\u9fff]", first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _create(request, fmt):
    data = request.POST
    client = _client(data)
    if not (hit := client_rate_hit("open311", client.pk)).allowed:  # before anything is read or written
        raise RateLimited(hit)
    code = (data.get("service_code") or "").strip()
    if not code:
        raise field_error(400, "service_code", _("This field is required."))
    category = _service(code)
    lat, lon = _location(data)
    description = (data.get("description") or "").strip()
    if not description:
        raise field_error(400, "description", _("A description of the problem is required."))
    try:
        answers = attribute_answers(category.attributes.all(), _attributes(data))
    except ValidationFailed as exc:
        raise field_error(400, exc.field, exc.message) from exc
    report = Report(
        category_code=category.code, description=description, lon=lon, lat=lat, channel=Channel.OPEN311,
        address=(data.get("address_string") or "").strip(),
        reporter_name=_person(data.get("first_name") or "", data.get("last_name") or ""),
        reporter_phone=(data.get("phone") or "").strip(), attributes=answers,
    )  # email, device_id, account_id and media_url are not kept (docs/open311.md)

    def create():
        event = open311_request_create(client=client, report=report, ip=client_ip(request))
        return 201, {"service_request_id": event.number, "service_notice": service_notice(category),
                     "account_id": None}

    payload = {k: v for k, v in sorted(data.lists()) if k != "api_key"}
    try:
        status, body = run_idempotent(owner=f"open311:{client.pk}", key=request.headers.get("Idempotency-Key"),
                                      payload=payload, create=create)
    except DomainError as exc:
        status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, PermissionDenied) else 400
        raise field_error(status, FIELDS.get(exc.field, exc.field or "request"), exc.message) from exc
    return render(fmt, "service_requests", [body], status=status)
