"""The patrol pages' forms: reviewing an anomaly, and the filters of the day list, the schedule and the anomaly
list (a month like 2026-05, a worker's id, a status and a kind)."""

from django import forms
from django.utils.translation import gettext_lazy

from gridgov.common.errors import DomainError
from gridgov.common.forms import DomainErrorsMixin, IdField
from gridgov.fieldwork import selectors
from gridgov.fieldwork.choices import AnomalyKind, AnomalyStatus
from gridgov.fieldwork.services import REVIEW_DECISIONS


class ReviewForm(DomainErrorsMixin, forms.Form):
    decision = forms.ChoiceField(choices=[(d, d) for d in REVIEW_DECISIONS],
                                 error_messages={"required": gettext_lazy("Choose confirm or dismiss."),
                                                 "invalid_choice": gettext_lazy("Choose confirm or dismiss.")})
    note = forms.CharField(label=gettext_lazy("Note (required)"), min_length=2, max_length=300,
                           error_messages={"required": gettext_lazy("Say why in a note."),
                                           "min_length": gettext_lazy("Say why in a note.")},
                           widget=forms.Textarea(attrs={"rows": 4}))


class MonthField(forms.CharField):
    """A month like 2026-05 → (2026, 5); empty: the current month."""

    def __init__(self, **kwargs):
        super().__init__(max_length=7, required=False, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return selectors.parse_month(value or None)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from None


class PatrolFilterForm(forms.Form):
    """?month=, ?worker=, ?status=, ?kind=, ?all= of the patrol pages; a bad value falls back to its default."""

    month = MonthField(label=gettext_lazy("Month"))
    worker = IdField(label=gettext_lazy("Worker"))
    status = forms.ChoiceField(choices=[("", "")] + AnomalyStatus.choices, required=False)
    kind = forms.ChoiceField(choices=[("", "")] + AnomalyKind.choices, required=False)
    all = forms.BooleanField(required=False)

    def value(self, name):
        self.is_valid()
        if name in self.cleaned_data:
            return self.cleaned_data[name]
        return self.fields[name].clean("")  # the default for a bad value
