"""The dispute pages' forms: registering a dispute with up to four parties, the moves on a dispute's page, and the
filters of the list and the statistics. Each checks the shape of what was sent with the message next to the field;
the services apply the rules of the workflow."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.common.api_types import MAX_ID
from gridgov.common.forms import DateField, DateTimeField, DomainErrorsMixin, error_lines
from gridgov.disputes import selectors, services
from gridgov.disputes.choices import DisputeKind, DisputeStatus, PartyRole, StepKind
from gridgov.disputes.workflow import ESCALATION_CATEGORIES
from gridgov.regions.choices import GRID_LEVELS
from gridgov.regions.models import Region

PARTY_ROWS = 4
TEXT = 2000


def _phone_format(value: str) -> None:
    if value and not services.PHONE_RE.match(value):
        raise forms.ValidationError(_("Not a phone number."))


class DisputeForm(DomainErrorsMixin, forms.Form):
    """Register a dispute (排查): kind, grid, summary, when, and the parties in rows ``party_role_<i>``,
    ``party_name_<i>``, ``party_phone_<i>`` (a row without a name is left out)."""

    client_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[("", gettext_lazy("Choose…"))] + DisputeKind.choices)
    grid = forms.TypedChoiceField(label=gettext_lazy("Grid"), coerce=int)
    summary = forms.CharField(label=gettext_lazy("What the dispute is about"), max_length=TEXT,
                              widget=forms.Textarea(attrs={"rows": 3}))
    occurred_at = DateTimeField(label=gettext_lazy("Occurred at (optional)"), required=False,
                                widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        grids = (Region.objects.restrict(user).filter(level__in=GRID_LEVELS).exclude(status="retired")
                 .order_by("code").values_list("pk", "name"))
        self.fields["grid"].choices = list(grids)
        roles = PartyRole.values
        for i in range(PARTY_ROWS):
            row = {"n": i + 1}
            label = _("Party %(n)d: role") % row
            self.fields[f"party_role_{i}"] = forms.ChoiceField(
                label=label, choices=PartyRole.choices, required=False, initial=roles[min(i, len(roles) - 1)],
                widget=forms.Select(attrs={"aria-label": label}))
            label = _("Party %(n)d: full name") % row
            self.fields[f"party_name_{i}"] = forms.CharField(
                label=label, max_length=64, required=False,
                widget=forms.TextInput(attrs={"placeholder": _("Full name"), "aria-label": label}))
            label = _("Party %(n)d: phone") % row
            self.fields[f"party_phone_{i}"] = forms.CharField(
                label=label, max_length=32, required=False, validators=[_phone_format],
                widget=forms.TextInput(attrs={"type": "tel", "placeholder": _("Phone (optional)"),
                                              "aria-label": label}))

    def party_rows(self):
        """The parties' rows of bound fields, for the template."""
        return [(self[f"party_role_{i}"], self[f"party_name_{i}"], self[f"party_phone_{i}"])
                for i in range(PARTY_ROWS)]

    def clean(self):
        data = super().clean()
        for i in range(PARTY_ROWS):
            if data.get(f"party_phone_{i}") and not data.get(f"party_name_{i}", "").strip():
                self.add_error(f"party_name_{i}", _("This field is required."))
        if not any(data.get(f"party_name_{i}", "").strip() for i in range(PARTY_ROWS)) \
                and not any(f"party_name_{i}" in self.errors for i in range(PARTY_ROWS)):
            self.add_error("party_name_0", _("Name at least one party."))
        return data

    def parties(self) -> list[services.PartyIn]:
        data = self.cleaned_data
        return [services.PartyIn(role=data[f"party_role_{i}"] or PartyRole.OTHER, name=data[f"party_name_{i}"],
                                 phone=data[f"party_phone_{i}"])
                for i in range(PARTY_ROWS) if data[f"party_name_{i}"].strip()]

    def add_domain_error(self, exc):
        if exc.field and exc.field.startswith("parties."):  # parties.1.phone → party_phone_1
            _p, index, name = (exc.field.split(".") + ["", ""])[:3]
            exc.field = f"party_{name}_{index}"
        super().add_domain_error(exc)


ACTIONS = ("step", "settle", "fail", "follow_up", "escalate")


class ActionForm(forms.Form):
    """A move on a dispute's page (the small forms under the timeline)."""

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    version = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    kind = forms.ChoiceField(label=gettext_lazy("Step"), choices=StepKind.choices, required=False)
    note = forms.CharField(label=gettext_lazy("What was done"), max_length=TEXT, required=False)
    agreement = forms.CharField(label=gettext_lazy("Agreement"), max_length=TEXT, required=False)
    outcome = forms.CharField(label=gettext_lazy("Outcome"), max_length=TEXT, required=False)
    follow_up_due = DateField(label=gettext_lazy("Follow up by (optional)"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=TEXT, required=False)
    category = forms.ChoiceField(label=gettext_lazy("Escalate as"), required=False,
                                 choices=[(c, c) for c in ESCALATION_CATEGORIES])

    def messages(self) -> list[str]:
        """The errors as lines for the page's message area ("label：message", every one)."""
        return error_lines(self)

    def perform(self, *, actor, dispute_id: int, ip: str | None):
        d = self.cleaned_data
        kwargs = {"actor": actor, "dispute_id": dispute_id, "ip": ip, "version": d["version"]}
        action = d["action"]
        if action == "step":
            return services.dispute_step_add(kind=d["kind"] or StepKind.TALK, note=d["note"], **kwargs)
        if action == "settle":
            return services.dispute_settle(agreement=d["agreement"], outcome=d["outcome"],
                                           follow_up_due=d["follow_up_due"], **kwargs)
        if action == "fail":
            return services.dispute_fail(reason=d["reason"], **kwargs)
        if action == "follow_up":
            return services.dispute_follow_up(note=d["reason"], **kwargs)
        return services.dispute_escalate(reason=d["reason"], category=d["category"] or "0401", **kwargs)


class FilterForm(forms.Form):
    """The list's filters; a bad value is reported and left out of the search."""

    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=[("", "")] + DisputeStatus.choices,
                               required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[("", "")] + DisputeKind.choices, required=False)
    q = forms.CharField(label=gettext_lazy("Search disputes"), max_length=100, required=False)
    since = DateField(label=gettext_lazy("Registered from"), required=False)
    until = DateField(label=gettext_lazy("Registered until"), required=False)

    def filters(self) -> dict:
        self.is_valid()
        return {name: self.cleaned_data.get(name) or None for name in self.fields}


class StatsForm(forms.Form):
    level = forms.ChoiceField(label=gettext_lazy("Per"), choices=[(lv, lv) for lv in selectors.STAT_LEVELS],
                              required=False)
    since = DateField(label=gettext_lazy("From"), required=False)
    until = DateField(label=gettext_lazy("Until"), required=False)

    def clean(self):
        data = super().clean()
        first, today = selectors.month_period()
        data["level"] = data.get("level") or "community"
        data["since"] = data.get("since") or first
        data["until"] = data.get("until") or today
        if "since" not in self.errors and "until" not in self.errors and data["until"] < data["since"]:
            self.add_error("until", _("The end of the period lies before its start."))
        return data

