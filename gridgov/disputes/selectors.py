"""Reads of disputes: the list with filters, one dispute with its parties, steps and status changes, and the
statistics of 排查 (registered) and 化解 (settled) per region and period, by kind.

化解率 is counted over a cohort: of the disputes registered in the period, the share settled (now or later:
``settled_at`` is set, whether or not followed up since). A dispute that failed or was escalated is not settled.
"""

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.errors import NotFound, ValidationFailed
from gridgov.common.scoping import below
from gridgov.disputes.choices import DisputeKind
from gridgov.disputes.models import Dispute
from gridgov.regions.models import Region

STAT_LEVELS = ("street", "community", "grid")


def dispute_list(*, user, status: str | None = None, kind: str | None = None, grid: int | None = None,
                 q: str | None = None, since: dt.date | None = None, until: dt.date | None = None) -> QuerySet:
    qs = Dispute.objects.restrict(user).select_related("grid", "registered_by", "mediator")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if grid:
        region = Region.objects.filter(pk=grid).first()
        qs = qs.filter(below("region_path", region.path)) if region else qs.none()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(summary__icontains=q) | Q(parties__name__icontains=q)).distinct()
    start, end = _period(since, until) if (since or until) else (None, None)
    if start:
        qs = qs.filter(registered_at__gte=start)
    if end:
        qs = qs.filter(registered_at__lt=end)
    return qs.order_by("-registered_at", "-id")


def access_dispute(user, dispute_id: int) -> Dispute:
    dispute = (Dispute.objects.restrict(user)
               .select_related("grid", "registered_by", "mediator", "event").filter(pk=dispute_id).first())
    if dispute is None:
        raise NotFound(_("No such dispute, or it is outside your area."))
    return dispute


def _period(since: dt.date | None, until: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[since 00:00, the day after until 00:00) in local time (Asia/Shanghai)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=tz) if since else None
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if until else None
    return start, end


def month_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return today.replace(day=1), today


def _rate(settled: int, registered: int) -> float | None:
    return round(settled * 100 / registered, 1) if registered else None


def dispute_stats(*, user, level: str = "community", since: dt.date, until: dt.date) -> dict:
    """排查/化解/化解率 per region of ``level`` inside the user's area, by kind, for disputes registered between
    ``since`` and ``until`` (inclusive, local dates). One aggregate query, rolled up by tree path in memory."""
    if level not in STAT_LEVELS:
        raise ValidationFailed(_("Choose street, community or grid."), field="level")
    if until < since:
        raise ValidationFailed(_("The end of the period lies before its start."), field="until")
    start, end = _period(since, until)
    rows = list(Dispute.objects.restrict(user)
                .filter(registered_at__gte=start, registered_at__lt=end)
                .values("region_path", "kind")
                .annotate(registered=Count("pk"), settled=Count("pk", filter=Q(settled_at__isnull=False)))
                .order_by())
    regions = list(Region.objects.restrict(user).filter(level=level).exclude(status="retired")
                   .order_by("code").only("pk", "code", "name", "path"))
    kinds = dict(DisputeKind.choices)
    out = []
    for region in regions:
        mine = [r for r in rows if r["region_path"].startswith(region.path)]
        out.append(_summary({"id": region.pk, "code": region.code, "name": region.name}, mine, kinds))
    total = _summary({"id": None, "code": "", "name": _("Total")}, rows, kinds)
    return {"level": level, "since": since.isoformat(), "until": until.isoformat(), "regions": out, "total": total}


def _summary(region: dict, rows: list[dict], kinds: dict) -> dict:
    by_kind = {}
    for r in rows:
        k = by_kind.setdefault(r["kind"], {"kind": r["kind"], "label": str(kinds.get(r["kind"], r["kind"])),
                                           "registered": 0, "settled": 0})
        k["registered"] += r["registered"]
        k["settled"] += r["settled"]
    for k in by_kind.values():
        k["rate"] = _rate(k["settled"], k["registered"])
    registered = sum(r["registered"] for r in rows)
    settled = sum(r["settled"] for r in rows)
    order = list(kinds)
    return {"region": region, "registered": registered, "settled": settled, "rate": _rate(settled, registered),
            "by_kind": sorted(by_kind.values(), key=lambda k: order.index(k["kind"]) if k["kind"] in order else 99)}


def settlements_between(start, end) -> list[tuple]:
    """(dispute id, mediator id, settled at) of the disputes settled in [start, end) that name a mediator — the
    input of the quick-mediation check (gridgov/fieldwork/detect.py); not scoped: the detector runs for everyone."""
    return list(Dispute.objects.filter(settled_at__gte=start, settled_at__lt=end).exclude(mediator=None)
                .values_list("pk", "mediator_id", "settled_at"))


def dispute_numbers(ids) -> dict[int, str]:
    """{id: number} of these disputes — to name them where another app lists ids (an anomaly's evidence); not
    scoped: the ids come from a record the reader may already see, and each link's page checks access."""
    return dict(Dispute.objects.filter(pk__in=list(ids)).values_list("pk", "number"))
