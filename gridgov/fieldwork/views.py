"""Patrol pages: the daily summaries, the phone's recording page, track replay, who missed which scheduled patrol,
and the anomaly list with review. Tracks tell where a person was: every page is ``no-store``."""


from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from gridgov.common.errors import DomainError, NotFound
from gridgov.fieldwork import selectors, services
from gridgov.fieldwork.choices import AnomalyKind, AnomalyStatus
from gridgov.fieldwork.forms import PatrolFilterForm, ReviewForm
from gridgov.fieldwork.models import (
    ANOMALY_REVIEW_ROLES,
    ANOMALY_VIEW_ROLES,
    PATROL_ROLES,
    SUPERVISOR_ROLES,
)


def _page(request, template, context, status=200, tab=""):
    user = request.user
    context.update(nav="patrols", tab=tab, can_record=user.role in PATROL_ROLES,
                   can_see_anomalies=user.role in ANOMALY_VIEW_ROLES,
                   is_supervisor=user.role in SUPERVISOR_ROLES)
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _not_found(request):
    return _page(request, "web/not_found.html", {}, status=404)




@login_required
def day_list(request):
    """The last RECENT_DAYS days by default (a week's patrols stay in view on the 1st of a month), or a picked month."""
    if request.user.role not in PATROL_ROLES | SUPERVISOR_ROLES:
        return _not_found(request)
    filters = PatrolFilterForm(request.GET)
    worker_id = filters.value("worker")
    # a month picked on the page (one that is not a month is ignored), else the last RECENT_DAYS days
    month = filters.value("month") if request.GET.get("month") and "month" not in filters.errors else None
    period = selectors.month_days(*month) if month else selectors.recent_days()
    workers = list(selectors.visible_workers(request.user)) if request.user.role in SUPERVISOR_ROLES else []
    days = selectors.patrol_days(user=request.user, worker_id=worker_id, period=period)
    page = Paginator(days, 50).get_page(request.GET.get("page"))
    totals = {"days": 0, "patrol_days": 0, "km": 0.0}
    for d in page:
        totals["days"] += 1
        totals["patrol_days"] += d.is_patrol_day
        totals["km"] += d.distance_m / 1000
    return _page(request, "fieldwork/days.html", {
        "page": page, "month": "%04d-%02d" % month if month else "", "first": period[0], "last": period[1],
        "recent_days": selectors.RECENT_DAYS, "workers": workers, "worker_id": worker_id, "totals": totals},
        tab="days")


@login_required
def record(request):
    if request.user.role not in PATROL_ROLES:
        return _not_found(request)
    from gridgov.fieldwork.choices import PatrolKind

    return _page(request, "fieldwork/record.html", {"kinds": PatrolKind.choices,
                                                    "max_batch": services.MAX_BATCH}, tab="record")


@login_required
def replay(request, worker_id: int, day: str):
    if request.user.role not in PATROL_ROLES | SUPERVISOR_ROLES:
        return _not_found(request)
    try:
        worker = selectors.access_worker(request.user, worker_id)
        the_day = selectors.parse_day(day)
    except DomainError:
        return _not_found(request)
    summary = selectors.patrol_days(user=request.user, worker_id=worker.pk).filter(day=the_day).first()
    context = {"worker": worker, "day": the_day, "summary": summary,
               "prev_day": the_day - timezone.timedelta(days=1), "next_day": the_day + timezone.timedelta(days=1),
               "grids": worker.grids.order_by("code")}
    return _page(request, "fieldwork/replay.html", context, tab="days")


@login_required
def schedule(request):
    if request.user.role not in PATROL_ROLES | SUPERVISOR_ROLES:
        return _not_found(request)
    filters = PatrolFilterForm(request.GET)
    month, only_missed = filters.value("month"), not filters.value("all")
    rows = selectors.schedule_misses(user=request.user, month=month)
    shown = [r for r in rows if not only_missed or not r.compliant]
    return _page(request, "fieldwork/schedule.html", {
        "rows": shown, "month": "%04d-%02d" % month, "only_missed": only_missed, "total": len(rows),
        "missing": sum(1 for r in rows if not r.compliant)}, tab="schedule")


@login_required
def anomaly_list(request):
    if request.user.role not in ANOMALY_VIEW_ROLES:
        return _not_found(request)
    filters = PatrolFilterForm(request.GET)
    status = filters.value("status") if "status" in request.GET else AnomalyStatus.OPEN
    kind = filters.value("kind")
    month = filters.value("month") if request.GET.get("month") else None
    items = selectors.anomaly_list(user=request.user, status=status or None, kind=kind or None, month=month)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return _page(request, "fieldwork/anomalies.html", {
        "page": page, "rows": [selectors.anomaly_out(a) for a in page], "status": status, "kind": kind,
        "month": request.GET.get("month", ""), "statuses": AnomalyStatus.choices, "kinds": AnomalyKind.choices},
        tab="anomalies")


@login_required
def anomaly_detail(request, anomaly_id: int):
    if request.user.role not in ANOMALY_VIEW_ROLES:
        return _not_found(request)
    try:
        anomaly = selectors.access_anomaly(request.user, anomaly_id)
    except NotFound:
        return _not_found(request)
    form = ReviewForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.anomaly_review(actor=request.user, anomaly_id=anomaly.pk, **form.cleaned_data)
            return redirect("fieldwork:anomaly", anomaly_id=anomaly.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    can_review = (request.user.role in ANOMALY_REVIEW_ROLES and anomaly.status == AnomalyStatus.OPEN
                  and anomaly.worker_id != request.user.pk)
    return _page(request, "fieldwork/anomaly.html", {
        "anomaly": anomaly, "a": selectors.anomaly_out(anomaly), "can_review": can_review, "form": form},
        status=422 if form.errors else 200, tab="anomalies")
