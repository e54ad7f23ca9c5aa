"""Dispute pages: the list with filters, the register form, one dispute with its timeline and the moves allowed
now, and the statistics of 排查 and 化解. Forms post here and call the services (one gatekeeper for moves)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.common.audit import client_ip
from gridgov.common.errors import DomainError, NotFound, ValidationFailed
from gridgov.common.masking import mask_phone
from gridgov.disputes import selectors, services
from gridgov.disputes.choices import MEDIATORS, READERS, DisputeKind, DisputeStatus, PartyRole, StepKind
from gridgov.disputes.workflow import ESCALATION_CATEGORIES, STEP_KINDS
from gridgov.regions.choices import GRID_LEVELS
from gridgov.regions.models import Region

PARTY_ROWS = 4


def _page(request, template, context, status=200):
    context["nav"] = "disputes"
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"  # parties' names
    return response


def _not_found(request):
    return _page(request, "web/not_found.html", {}, status=404)


def _date(value):
    return parse_date(value) if value else None


@login_required
def dispute_list(request):
    user = request.user
    if user.role not in READERS:
        return _not_found(request)
    f = {k: request.GET.get(k, "") for k in ("status", "kind", "q", "since", "until")}
    try:
        qs = selectors.dispute_list(user=user, status=f["status"] or None, kind=f["kind"] or None,
                                    q=f["q"] or None, since=_date(f["since"]), until=_date(f["until"]))
    except ValueError:
        qs = selectors.dispute_list(user=user)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in f.items() if v)
    return _page(request, "disputes/list.html", {
        "page": page, "f": f, "query": query, "statuses": DisputeStatus.choices, "kinds": DisputeKind.choices,
        "can_register": user.role in MEDIATORS})


def _grids(user):
    return Region.objects.restrict(user).filter(level__in=GRID_LEVELS).exclude(status="retired").order_by("code")


@login_required
def dispute_new(request):
    user = request.user
    if user.role not in MEDIATORS:
        return _not_found(request)
    context = {"kinds": DisputeKind.choices, "roles": PartyRole.choices, "grids": _grids(user),
               "values": request.POST, "rows": range(PARTY_ROWS)}
    if request.method == "POST":
        p = request.POST
        parties = [services.PartyIn(role=p.get(f"party_role_{i}", ""), name=p.get(f"party_name_{i}", ""),
                                    phone=p.get(f"party_phone_{i}", ""))
                   for i in range(PARTY_ROWS) if p.get(f"party_name_{i}", "").strip()]
        try:
            occurred = p.get("occurred_at") or ""
            occurred_at = parse_datetime(occurred) if occurred else None
            if occurred and occurred_at is None:
                raise ValidationFailed(_("Must be a date and time."), field="occurred_at")
            dispute, _created = services.dispute_register(
                actor=user, kind=p.get("kind", ""), summary=p.get("summary", ""), grid_id=_int(p.get("grid")),
                parties=parties, occurred_at=occurred_at, client_key=p.get("client_key", ""),
                ip=client_ip(request))
        except DomainError as exc:
            context["error"] = exc
            return _page(request, "disputes/new.html", context, status=422)
        messages.success(request, _("Dispute %(number)s registered.") % {"number": dispute.number})
        return redirect("disputes:detail", dispute_id=dispute.pk)
    import uuid

    context["client_key"] = uuid.uuid4().hex
    return _page(request, "disputes/new.html", context)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@login_required
def dispute_detail(request, dispute_id: int):
    try:
        dispute = selectors.access_dispute(request.user, dispute_id)
    except NotFound:
        return _not_found(request)
    steps = [{"at": s.at, "who": s.by.display_name, "what": s.get_kind_display(), "note": s.note, "kind": "step"}
             for s in dispute.steps.select_related("by")]
    changes = [{"at": t.at, "who": t.actor.display_name if t.actor_id else t.actor_name,
                "what": t.get_to_status_display(), "note": t.reason, "kind": "status"}
               for t in dispute.transitions.select_related("actor")]
    timeline = sorted(steps + changes, key=lambda x: x["at"])
    parties = [{"role": p.get_role_display(), "name": p.name, "phone": mask_phone(p.phone), "person": p.person_id}
               for p in dispute.parties.all()]
    actions = [a["action"] for a in services.allowed(dispute, request.user)]
    return _page(request, "disputes/detail.html", {
        "dispute": dispute, "timeline": timeline, "parties": parties, "actions": actions,
        "step_kinds": [(k.value, k.label) for k in StepKind if k in STEP_KINDS],
        "categories": _categories(), "today": timezone.localdate()})


def _categories():
    from gridgov.events.models import Category

    names = dict(Category.objects.filter(code__in=ESCALATION_CATEGORIES).values_list("code", "name"))
    return [(c, names.get(c, c)) for c in ESCALATION_CATEGORIES]


@login_required
@require_POST
def dispute_act(request, dispute_id: int):
    p = request.POST
    action = p.get("action", "")
    kwargs = {"actor": request.user, "dispute_id": dispute_id, "ip": client_ip(request),
              "version": _int(p.get("version")) or None}
    try:
        if action == "step":
            services.dispute_step_add(kind=p.get("kind", ""), note=p.get("note", ""), **kwargs)
        elif action == "settle":
            services.dispute_settle(agreement=p.get("agreement", ""), outcome=p.get("outcome", ""),
                                    follow_up_due=_date(p.get("follow_up_due")), **kwargs)
        elif action == "fail":
            services.dispute_fail(reason=p.get("reason", ""), **kwargs)
        elif action == "follow_up":
            services.dispute_follow_up(note=p.get("reason", ""), **kwargs)
        elif action == "escalate":
            services.dispute_escalate(reason=p.get("reason", ""), category=p.get("category", "0401"), **kwargs)
        else:
            raise ValidationFailed(_("Unknown action %(action)s.") % {"action": action}, field="action")
    except NotFound:
        return _not_found(request)
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("disputes:detail", dispute_id=dispute_id)


@login_required
def dispute_stats(request):
    user = request.user
    if user.role not in READERS:
        return _not_found(request)
    first, today = selectors.month_period()
    level = request.GET.get("level") or "community"
    if level not in selectors.STAT_LEVELS:
        level = "community"
    try:
        since = _date(request.GET.get("since")) or first
        until = _date(request.GET.get("until")) or today
        stats = selectors.dispute_stats(user=user, level=level, since=since, until=until)
        error = None
    except (ValidationFailed, ValueError) as exc:
        since, until, error = first, today, getattr(exc, "message", str(exc))
        stats = selectors.dispute_stats(user=user, level=level, since=since, until=until)
    return _page(request, "disputes/stats.html", {
        "stats": stats, "level": level, "since": since, "until": until, "error": error,
        "levels": [("street", _("street / town")), ("community", _("community / village")), ("grid", _("grid"))]})
