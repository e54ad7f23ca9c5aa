"""The citizen channel: a QR code on each grid's notice board leads to a public report form. Anonymous reports are
allowed; contact details stay inside the handling chain; submissions are rate-limited per address; the citizen
gets a private link to follow the case and rate the outcome (through the same gatekeeper as everyone)."""

import io
import secrets
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.common.errors import ValidationFailed
from gridgov.common.images import process_image
from gridgov.common.photos import photo_files_guard
from gridgov.common.ratelimit import rate_hit
from gridgov.events.choices import Channel, PhotoKind
from gridgov.events.models import Category, Event, Photo
from gridgov.events.services import Report, event_report, event_transition, photo_store

# Classes citizens do not file themselves (key persons are sensitive; grid staff report them).
CITIZEN_HIDDEN_CLASSES = {"05"}
MAX_PHOTOS = 3


@dataclass
class CitizenActor:
    """Who acts when a citizen rates their own case: scoped to that one case, allowed only the citizen's moves."""

    event_id: int
    role: str = "citizen"
    username: str = "citizen"
    pk: None = None
    department_id: None = None
    is_active: bool = True
    is_authenticated: bool = False


def citizen_categories() -> list[Category]:
    return [c for c in Category.objects.filter(is_active=True).select_related("parent").order_by("sort_order", "code")
            if not (c.parent_id and c.parent.code in CITIZEN_HIDDEN_CLASSES) and c.code not in CITIZEN_HIDDEN_CLASSES]


def qr_svg(url: str) -> str:
    """An SVG QR code (no image libraries, prints sharp on any notice board), ready to sit inside an HTML page."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    buf = io.BytesIO()
    image.save(buf)
    svg = buf.getvalue().decode()
    return svg[svg.index("<svg"):]  # without the <?xml …?> declaration, which has no place in HTML


def citizen_form_url(grid, request) -> tuple[str, str]:
    """The address a grid's QR code leads to, and the host it fell back to ("" when it did not): under
    GRIDGOV_PUBLIC_BASE_URL, the address citizens reach; unset, the address this request came in at, which may be one
    only the staff member's own network knows (an intranet IP, localhost)."""
    from django.urls import get_script_prefix, reverse

    path = reverse("events:citizen-form", args=[grid.code])
    if settings.GRIDGOV_PUBLIC_BASE_URL:
        return settings.GRIDGOV_PUBLIC_BASE_URL + path[len(get_script_prefix()) - 1:], ""
    return request.build_absolute_uri(path), request.get_host()


def rate_limit(ip: str | None) -> None:
    """At most GRIDGOV_CITIZEN_REPORTS_PER_HOUR reports an hour from one address (shared cache when configured)."""
    hit = rate_hit(f"citizen-reports:{ip or 'unknown'}", limit=settings.GRIDGOV_CITIZEN_REPORTS_PER_HOUR,
                   window=3600)
    if not hit.allowed:
        raise ValidationFailed(_("Too many reports from your connection; please try again in an hour or call "
                                 "12345."), field="rate", code="rate_limited")


def citizen_report(*, grid, category_code: str, description: str, lon: float | None, lat: float | None,
                   name: str = "", phone: str = "", photos: list[bytes] = (), kept: list[Photo] = ()) -> Event:
    """Take a citizen's report; the point defaults to the grid whose QR code was scanned. ``kept``: the photos of
    the same report refused a moment ago (``citizen_keep_photos``), attached with the new ones."""
    if category_code not in {c.code for c in citizen_categories() if c.fileable}:
        raise ValidationFailed(_("Choose what kind of problem it is."), field="category")
    if len(photos) + len(kept) > MAX_PHOTOS:
        raise ValidationFailed(_("At most %(n)d photos.") % {"n": MAX_PHOTOS}, field="photos")
    processed = [process_image(data) for data in photos]  # refuses non-images and oversized files, with reasons
    if lon is None or lat is None:
        lon, lat = grid.centroid_lon, grid.centroid_lat
    phone = phone.strip()
    if phone and not (phone.replace("-", "").isdigit() and 7 <= len(phone.replace("-", "")) <= 13):
        raise ValidationFailed(_("Enter a phone number with digits only, or leave it empty."), field="phone")
    with photo_files_guard(), transaction.atomic():  # rolled back: the photo files saved go too
        event = event_report(actor=None, report=Report(
            category_code=category_code, description=description, lon=lon, lat=lat, channel=Channel.CITIZEN,
            reporter_name=name.strip(), reporter_phone=phone, photo_count=len(processed) + len(kept)))
        event.citizen_token = secrets.token_urlsafe(24)
        Event.objects.filter(pk=event.pk).update(citizen_token=event.citizen_token)
        attached = Photo.objects.filter(pk__in=[p.pk for p in kept], event__isnull=True).update(
            event=event, kind=PhotoKind.REPORT)
        if attached != len(kept):  # pruned or taken meanwhile: nothing is written, the citizen adds them again
            raise ValidationFailed(_("Your earlier photos are no longer kept: add them again."), field="photos")
        for image in processed:
            photo_store(image=image, event=event)
    return event


KEEP_SALT = "gridgov.events.citizen.kept-photos"


def citizen_keep_photos(*, grid, photos: list[bytes], kept: list[Photo] = ()) -> tuple[str, int]:
    """Keep the photos of a report that came back refused (a place in no grid, a bad phone number …), so the
    citizen does not add them again: stored unattached (deleted by ``photo_prune_unattached`` if never sent) and
    named in a signed token for this grid's form. Returns the token and how many photos it names; photos that are
    not images are not kept (their field says why)."""
    from django.core import signing

    from gridgov.common.errors import DomainError

    kept = list(Photo.objects.filter(pk__in=[p.pk for p in kept], event__isnull=True))  # not pruned meanwhile
    try:
        processed = [process_image(data) for data in photos][:MAX_PHOTOS - len(kept)]
    except DomainError:
        processed = []
    stored = [photo_store(image=image) for image in processed]
    ids = [p.pk for p in kept] + [p.pk for p in stored]
    if not ids:
        return "", 0
    return signing.dumps({"grid": grid.code, "photos": ids}, salt=KEEP_SALT), len(ids)


def citizen_kept_photos(token: str, *, grid) -> list[Photo]:
    """The photos a token from ``citizen_keep_photos`` names, if it is genuine, for this grid, recent enough, and
    they are still unattached and anonymous; otherwise none."""
    from django.core import signing

    if not token or len(token) > 1000:
        return []
    try:
        data = signing.loads(token, salt=KEEP_SALT, max_age=settings.GRIDGOV_PHOTO_UNATTACHED_HOURS * 3600)
    except signing.BadSignature:
        return []
    if not isinstance(data, dict) or data.get("grid") != grid.code or not isinstance(data.get("photos"), list):
        return []
    ids = [i for i in data["photos"] if isinstance(i, int)][:MAX_PHOTOS]
    return list(Photo.objects.filter(pk__in=ids, event__isnull=True, uploaded_by__isnull=True).order_by("pk"))


def read_uploads(files) -> list[bytes]:
    """The uploaded photos' bytes, refusing too many or too large ones before reading them into memory."""
    from gridgov.events.api import MAX_PHOTO_BYTES

    if len(files) > MAX_PHOTOS:
        raise ValidationFailed(_("At most %(n)d photos.") % {"n": MAX_PHOTOS}, field="photos")
    for f in files:
        if f.size > MAX_PHOTO_BYTES:
            raise ValidationFailed(_("The file is larger than %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES // 2**20},
                                   field="photos")
    return [f.read() for f in files]


def citizen_case(token: str) -> Event | None:
    if not token or len(token) > 64:
        return None
    return Event.objects.select_related("category", "grid").filter(citizen_token=token).first()


def citizen_result_photo(token: str, photo_id: int) -> Photo | None:
    """A photo of the result (taken after handling) of the case behind this link; None for any other photo."""
    event = citizen_case(token)
    if event is None or event.closed_at is None:
        return None
    return Photo.objects.filter(pk=photo_id, event=event, kind=PhotoKind.AFTER).first()


def citizen_rate(*, token: str, satisfaction: str, comment: str = "") -> Event:
    event = citizen_case(token)
    if event is None:
        raise ValidationFailed(_("This link is not valid."), field="token")
    return event_transition(actor=CitizenActor(event_id=event.pk), event_id=event.pk, action="rate", version=None,
                            data={"satisfaction": satisfaction, "comment": comment})
