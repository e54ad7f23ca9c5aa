"""Dispute pages: the list with filters, the register form, one dispute with its timeline and the moves allowed
now, and the statistics of 排查 and 化解. Forms post here and call the services (one gatekeeper for moves)."""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.selectors import actor_label, person_label, person_related
from gridgov.common.audit import client_ip
from gridgov.common.errors import DomainError, NotFound
from gridgov.common.masking import mask_phone
from gridgov.disputes import selectors, services
from gridgov.disputes.choices import MEDIATORS, READERS, DisputeKind, DisputeStatus, StepKind
from gridgov.disputes.forms import ActionForm, DisputeForm, FilterForm, StatsForm
from gridgov.disputes.workflow import ESCALATION_CATEGORIES, STEP_KINDS


def _page(request, template, context, status=200):
    context["nav"] = "disputes"
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"  # parties' names
    return response


def _not_found(request):
    return _page(request, "web/not_found.html", {}, status=404)


@login_required
def dispute_list(request):
    user = request.user
    if user.role not in READERS:
        return _not_found(request)
    form = FilterForm(request.GET)
    f = form.filters()
    qs = selectors.dispute_list(user=user, status=f["status"], kind=f["kind"], q=f["q"], since=f["since"],
                                until=f["until"])
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    query = urlencode({k: request.GET[k] for k in form.fields if k not in form.errors and request.GET.get(k)})
    return _page(request, "disputes/list.html", {
        "page": page, "form": form, "f": {k: request.GET.get(k, "") for k in form.fields}, "query": query,
        "statuses": DisputeStatus.choices, "kinds": DisputeKind.choices, "can_register": user.role in MEDIATORS})


@login_required
def dispute_new(request):
    user = request.user
    if user.role not in MEDIATORS:
        return _not_found(request)
    form = DisputeForm(request.POST if request.method == "POST" else None, user=user,
                       initial={"client_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            dispute, _created = services.dispute_register(
                actor=user, kind=d["kind"], summary=d["summary"], grid_id=d["grid"], parties=form.parties(),
                occurred_at=d["occurred_at"], client_key=d["client_key"], ip=client_ip(request))
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Dispute %(number)s registered.") % {"number": dispute.number})
            return redirect("disputes:detail", dispute_id=dispute.pk)
    return _page(request, "disputes/new.html", {"form": form}, status=422 if form.errors else 200)


@login_required
def dispute_detail(request, dispute_id: int):
    try:
        dispute = selectors.access_dispute(request.user, dispute_id)
    except NotFound:
        return _not_found(request)
    steps = [{"at": s.at, "who": person_label(s.by), "what": s.get_kind_display(), "note": s.note, "kind": "step"}
             for s in dispute.steps.select_related(*person_related("by"))]
    changes = [{"at": t.at, "who": person_label(t.actor) if t.actor_id else actor_label(t.actor_name),
                "what": t.get_to_status_display(), "note": t.reason, "kind": "status"}
               for t in dispute.transitions.select_related(*person_related("actor"))]
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
    form = ActionForm(request.POST)
    if not form.is_valid():
        for line in form.messages():
            messages.error(request, line)
        return redirect("disputes:detail", dispute_id=dispute_id)
    try:
        form.perform(actor=request.user, dispute_id=dispute_id, ip=client_ip(request))
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("disputes:detail", dispute_id=dispute_id)


@login_required
def dispute_stats(request):
    user = request.user
    if user.role not in READERS:
        return _not_found(request)
    form = StatsForm(request.GET)
    error = None
    if form.is_valid():
        level, since, until = (form.cleaned_data[k] for k in ("level", "since", "until"))
    else:
        (since, until), level = selectors.month_period(), "community"
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    stats = selectors.dispute_stats(user=user, level=level, since=since, until=until)
    return _page(request, "disputes/stats.html", {
        "stats": stats, "level": level, "since": since, "until": until, "error": error,
        "levels": [("street", _("street / town")), ("community", _("community / village")), ("grid", _("grid"))]})
