"""12345 hotline integration (docs/hotline-12345.md).

The hotline system pushes work orders to ``POST /api/v1/hotline/orders``, signed with HMAC-SHA256 over
``f"{timestamp}\\n{raw body}"`` with its client secret (headers X-Hotline-Client, X-Hotline-Timestamp,
X-Hotline-Signature). No session, no CSRF: the signature is the authentication. The same order number again returns
the case already created. Every later move of the case is posted back to the client's callback URL, signed the same
way, through the outbox (topic ``hotline.callback``, at least once, with a stable ``dedupe_id``).
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.request
from typing import NoReturn
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import APIKeyHeader
from pydantic import Field

from gridgov.common.api_errors import responses
from gridgov.common.api_types import DateTime
from gridgov.common.audit import audit_record, client_ip
from gridgov.common.errors import Conflict, DomainError, ValidationFailed
from gridgov.common.models import AuditLog
from gridgov.common.ratelimit import ClientRateThrottle
from gridgov.events import services
from gridgov.events.choices import Channel
from gridgov.events.models import Event, HotlineClient, HotlineOrder

log = logging.getLogger("gridgov.events.hotline")
router = Router(tags=["12345 hotline"])

CLIENT_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "X-Hotline-Client", "X-Hotline-Timestamp", "X-Hotline-Signature"
_NO_SECRET = "-" * 64  # compared against when the client is unknown, so both paths take the same time


def hotline_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``timestamp + "\\n" + body`` under ``secret``: pushes and callbacks are signed alike."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


class Unauthenticated(DomainError):
    status = 401


def _refuse(request, code: str, message, client_id: str = "") -> NoReturn:
    audit_record(actor=None, action="hotline.auth", outcome=AuditLog.Outcome.DENIED, ip=client_ip(request),
                 detail={"reason": code, "client": client_id[:64]})
    raise Unauthenticated(message, code=code)


def hotline_authenticate(request, signature: str | None) -> HotlineClient:
    """The pushing client, or a 401 that says what is wrong (without telling which client ids exist)."""
    client_id = request.headers.get(CLIENT_HEADER, "").strip()
    stamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = (signature or "").strip().lower()
    if not (client_id and stamp and signature):
        _refuse(request, "unauthenticated",
                _("Sign the request: the headers %(headers)s are required.")
                % {"headers": ", ".join((CLIENT_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))}, client_id)
    try:
        sent_at = int(stamp)
    except ValueError:
        _refuse(request, "bad_timestamp", _("%(header)s must be Unix time in whole seconds.")
                % {"header": TIMESTAMP_HEADER}, client_id)
    skew = settings.GRIDGOV_HOTLINE_MAX_SKEW_SECONDS
    if abs(time.time() - sent_at) > skew:
        _refuse(request, "stale_timestamp",
                _("The timestamp is more than %(n)d seconds away from our clock: check the sender's clock and sign "
                  "the request again.") % {"n": skew}, client_id)
    client = HotlineClient.objects.filter(client_id=client_id[:64], is_active=True).first()
    expected = hotline_signature(client.secret if client else _NO_SECRET, stamp, request.body)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")) or client is None:
        _refuse(request, "bad_signature",
                _("The signature does not match, or the client is unknown or disabled."), client_id)
    return client


class HotlineSignature(APIKeyHeader):
    """HMAC-SHA256 signature of the request (see the module docstring); X-Hotline-Client and X-Hotline-Timestamp
    must be sent too."""

    param_name = SIGNATURE_HEADER

    def authenticate(self, request, key):
        return hotline_authenticate(request, key)


class HotlineOrderIn(Schema):
    order_no: str = Field(..., min_length=1, max_length=64, description="The hotline's work-order number")
    category: str = Field(..., min_length=1, max_length=32, description="Subclass or item code, e.g. 0301")
    description: str = Field(..., min_length=1, max_length=2000)
    lon: float | None = Field(None, ge=-180, le=180, description="WGS84; required")
    lat: float | None = Field(None, ge=-90, le=90, description="WGS84; required")
    address: str = Field("", max_length=200)
    citizen_name: str = Field("", max_length=64)
    citizen_phone: str = Field("", max_length=32)
    occurred_at: DateTime | None = None


class HotlineOrderOut(Schema):
    case_number: str
    status: str
    status_label: str
    lead_department: str | None
    deadline: dt.datetime | None


def _existing(order_no: str, client: HotlineClient) -> Event | None:
    event = (Event.objects.select_related("lead_department", "hotline_order")
             .filter(channel=Channel.HOTLINE, external_id=order_no).first())
    if event is not None and getattr(event, "hotline_order", None) is not None \
            and event.hotline_order.client_id != client.pk:
        raise Conflict(_("Work order %(order_no)s was sent by another hotline client.") % {"order_no": order_no},
                       field="order_no")
    return event


def hotline_order_receive(*, client: HotlineClient, order: HotlineOrderIn, ip: str | None = None
                          ) -> tuple[bool, Event]:
    """Create the case for a work order, or find the one created for the same order number: (created, case)."""
    order_no = order.order_no.strip()
    if not order_no:
        raise ValidationFailed(_("Give the work-order number."), field="order_no")
    if (event := _existing(order_no, client)) is not None:
        return False, event
    if order.lon is None or order.lat is None:
        raise ValidationFailed(_("A 12345 work order needs the location's coordinates (lon and lat, WGS84); "
                                 "orders without them are not taken here: a dispatcher enters them by hand."),
                               field="lon" if order.lon is None else "lat", code="no_location")
    occurred_at = order.occurred_at
    if occurred_at is not None and timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)  # the hotline's local time (Asia/Shanghai)
    report = services.Report(
        category_code=order.category, description=order.description, lon=order.lon, lat=order.lat,
        channel=Channel.HOTLINE, address=order.address, occurred_at=occurred_at, reporter_name=order.citizen_name,
        reporter_phone=order.citizen_phone, external_id=order_no)
    try:
        with transaction.atomic():
            event = services.event_report(actor=None, report=report)
            HotlineOrder.objects.create(event=event, client=client, order_no=order_no)
            audit_record(actor=None, action="hotline.order", obj=event, ip=ip,
                         detail={"client": client.client_id, "order_no": order_no})
    except IntegrityError:  # the same order pushed twice at once: the other push created it
        if (event := _existing(order_no, client)) is None:
            raise
        return False, event
    return True, event


def _order_out(event: Event) -> dict:
    return {"case_number": event.number, "status": event.status, "status_label": event.get_status_display(),
            "lead_department": event.lead_department.name if event.lead_department_id else None,
            "deadline": event.deadline}


@router.post("/hotline/orders", auth=HotlineSignature(),
             response=responses({201: HotlineOrderOut, 200: HotlineOrderOut}, session=False, unauthenticated=True,
                                conflict=True, throttled=True),
             throttle=ClientRateThrottle("hotline"),  # per client a minute: 429 + Retry-After, nothing written
             summary="12345: push a work order (HMAC-signed; the same order_no returns the existing case)")
def hotline_order(request, payload: HotlineOrderIn):
    created, event = hotline_order_receive(client=request.auth, order=payload, ip=client_ip(request))
    event = Event.objects.select_related("lead_department").get(pk=event.pk)
    return Status(201 if created else 200, _order_out(event))


# --- callbacks (outbox topic hotline.callback; this is its handler, registered in EventsConfig.ready) --------------
CALLBACK_FIELDS = ("dedupe_id", "order_no", "case_number", "status", "status_label", "reason", "at")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an error: never re-send (or drop) the body
        return None


class CallbackFailed(Exception):
    pass


def hotline_callback_send(payload: dict) -> None:
    """POST one move of a case to the client that pushed the order; raises (so the outbox retries) unless the
    client answers 2xx. Cases without a pushing client, or whose client is disabled or has no URL, are skipped."""
    order = HotlineOrder.objects.select_related("client").filter(event_id=payload["event_id"]).first()
    client = order.client if order else None
    if client is None or not client.is_active or not client.callback_url:
        log.info("hotline callback %s not sent: no active client with a callback URL", payload.get("dedupe_id"))
        return
    if urlsplit(client.callback_url).scheme not in ("http", "https"):
        raise CallbackFailed("the callback URL must be http or https")
    body = json.dumps({k: payload.get(k) for k in CALLBACK_FIELDS}, ensure_ascii=False,
                      separators=(",", ":")).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(client.callback_url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", CLIENT_HEADER: client.client_id, TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: hotline_signature(client.secret, stamp, body)})
    # direct connection (callback URLs are on the intranet), no redirects
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
    with opener.open(request, timeout=settings.GRIDGOV_HOTLINE_CALLBACK_TIMEOUT_SECONDS) as response:
        if not 200 <= response.status < 300:
            raise CallbackFailed(f"HTTP {response.status}")
