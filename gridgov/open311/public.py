"""What the Open311 interface shows: the services (our fileable categories) and the public view of a case.

Nothing personal leaves through here: the reporter's name and phone are never loaded, classes listed in
GRIDGOV_OPEN311_HIDDEN_CLASSES (矛盾纠纷, 重点人员 by default) are neither services nor listed requests, and
mobile numbers, ID-card numbers and e-mail addresses written into free text are masked.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.masking import mask_id_number, mask_phone
from gridgov.events.attributes import LIST_TYPES
from gridgov.events.choices import CategoryLevel, PhotoKind, Status
from gridgov.events.models import Category, Event, Photo, Transition

# Our statuses in which nothing more is done about the request (GeoReport v2 knows only open and closed).
CLOSED = frozenset({Status.CLOSED, Status.RATED, Status.ARCHIVED, Status.REJECTED, Status.CANCELLED})
MAX_REQUESTS = 1000
DEFAULT_SPAN = dt.timedelta(days=90)

_BOUNDARY = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ID_NUMBER = re.compile(_BOUNDARY + r"\d{17}[\dXx]" + _END)
_MOBILE = re.compile(_BOUNDARY + r"(?:\+?86[- ]?)?(1[3-9]\d(?:[- ]?\d{4}){2})" + _END)
_LANDLINE = re.compile(_BOUNDARY + r"(0\d{2,3}[- ]?\d{7,8})" + _END)


def redact(text: str) -> str:
    """Mask contact details someone typed into a description or a reason (the same masks as everywhere else)."""
    if not text:
        return ""
    text = _EMAIL.sub("***@***", text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _MOBILE.sub(lambda m: mask_phone(re.sub(r"[- ]", "", m.group(1))), text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group(1)), text)


def w3(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, as the spec asks: 2026-01-05T09:30:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0).isoformat()


# --- services ------------------------------------------------------------------------------------------------------
@dataclass
class Taxonomy:
    by_id: dict[int, Category]

    @classmethod
    def load(cls) -> "Taxonomy":
        return cls({c.pk: c for c in Category.objects.prefetch_related("attributes")})

    def top(self, category: Category) -> Category:
        seen = set()
        while category.parent_id and category.parent_id in self.by_id and category.pk not in seen:
            seen.add(category.pk)
            category = self.by_id[category.parent_id]
        return category

    def hidden(self, category: Category) -> bool:
        return self.top(category).code in set(settings.GRIDGOV_OPEN311_HIDDEN_CLASSES)

    def hidden_ids(self) -> list[int]:
        return [pk for pk, c in self.by_id.items() if self.hidden(c)]

    def services(self) -> list[Category]:
        return sorted((c for c in self.by_id.values()
                       if c.is_active and c.level != CategoryLevel.CLASS and not self.hidden(c)),
                      key=lambda c: (c.sort_order, c.code))

    def service(self, code: str) -> Category | None:
        return next((c for c in self.services() if c.code == code), None)


def service_out(category: Category, taxonomy: Taxonomy) -> dict:
    group = taxonomy.top(category)
    keywords = [group.name]
    if category.parent_id and category.parent_id != group.pk:
        keywords.append(taxonomy.by_id[category.parent_id].name)
    keywords += [category.name, str(category.get_kind_display())]
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.closing_standard,
        "metadata": bool(category.attributes.all()),  # its questions: GET services/{code}
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": group.name,
    }


def service_definition_out(category: Category) -> dict:
    """GeoReport v2 "GET Service Definition": the category's questions (``CategoryAttribute``) as attributes."""
    attributes = []
    for attribute in sorted(category.attributes.all(), key=lambda a: (a.order, a.pk)):
        item = {"variable": attribute.variable, "code": attribute.code, "datatype": attribute.datatype,
                "required": attribute.required, "datatype_description": attribute.datatype_description or None,
                "order": attribute.order, "description": attribute.description}
        if attribute.datatype in LIST_TYPES:
            item["values"] = [{"key": v["key"], "name": v["name"]} for v in attribute.values]
        attributes.append(item)
    return {"service_code": category.code, "attributes": attributes}


def service_notice(category: Category) -> str:
    limit = f"{category.time_limit.normalize():f}"
    notice = _("Time limit: %(limit)s %(unit)s.") % {"limit": limit, "unit": category.get_time_unit_display()}
    if category.closing_standard:
        notice += _(" Done when: %(standard)s") % {"standard": category.closing_standard}
    return notice


# --- service requests ----------------------------------------------------------------------------------------------
def public_requests(taxonomy: Taxonomy) -> QuerySet:
    """Cases as the public may see them: no reporter fields, hidden classes left out, the last move and the first
    report photo fetched in the same query."""
    latest = Transition.objects.filter(event=OuterRef("pk")).order_by("-at", "-id")
    photo = (Photo.objects.filter(event=OuterRef("pk"), kind__in=PUBLIC_PHOTO_KINDS)
             .order_by("uploaded_at", "id"))
    return (Event.objects.exclude(category_id__in=taxonomy.hidden_ids())
            .select_related("category", "lead_department")
            .defer("reporter_name", "reporter_phone", "reporter", "satisfaction_comment")
            .annotate(last_reason=Subquery(latest.values("reason")[:1]),
                      last_at=Subquery(latest.values("at")[:1]),
                      first_photo=Subquery(photo.values("id")[:1]))
            .order_by("-reported_at", "-id"))


PUBLIC_PHOTO_KINDS = [PhotoKind.REPORT, PhotoKind.BEFORE]


def public_photo(photo_id: int) -> Photo | None:
    """A report photo of a case the public may see (``media_url``): never a photo of a hidden class, nor one taken
    while handling or verifying the case."""
    return (Photo.objects.filter(pk=photo_id, kind__in=PUBLIC_PHOTO_KINDS,
                                 event__in=public_requests(Taxonomy.load()).values("pk")).first())


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED else "open"


def status_notes(event: Event) -> str:
    label = str(event.get_status_display())
    reason = redact(getattr(event, "last_reason", "") or "")
    return _("%(status)s: %(reason)s") % {"status": label, "reason": reason} if reason else label


def request_out(event: Event, request) -> dict:
    photo = getattr(event, "first_photo", None)
    return {
        "service_request_id": event.number,
        "status": open311_status(event.status),
        "status_notes": status_notes(event),
        "service_name": event.category.name,
        "service_code": event.category.code,
        "description": redact(event.description),
        "agency_responsible": event.lead_department.name if event.lead_department_id else "",
        "service_notice": service_notice(event.category),
        "requested_datetime": w3(event.reported_at),
        "updated_datetime": w3(max(filter(None, [getattr(event, "last_at", None), event.updated_at]))),
        "expected_datetime": w3(event.deadline),
        "address": redact(event.address),
        "lat": event.lat,
        "long": event.lon,
        "media_url": request.build_absolute_uri(reverse("open311:media", args=[photo])) if photo else "",
    }
