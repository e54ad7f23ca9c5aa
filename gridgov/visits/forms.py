"""The visit pages' forms: the phone form that records a visit, and the filters of the visit log (the same ids the
form's "visit this one" links carry)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.common.api_types import MAX_ID
from gridgov.common.forms import (
    DateTimeField,
    DomainErrorsMixin,
    FilterForm,
    IdField,
    MultipleFileInput,
    PhotosField,
    SearchField,
)
from gridgov.registry.selectors import VISIT_TARGETS
from gridgov.visits import services
from gridgov.visits.api import MAX_PHOTO_BYTES
from gridgov.visits.choices import VisitPurpose

TARGET_KINDS = tuple(VISIT_TARGETS)


class TargetField(forms.CharField):
    """``household:12``, ``person:34`` or ``unit:56`` (the radio buttons of the target picker) → (kind, id)."""

    default_error_messages = {"required": gettext_lazy("Choose exactly one household, person or unit to visit."),
                              "invalid": gettext_lazy("Choose exactly one household, person or unit to visit.")}

    def __init__(self, **kwargs):
        super().__init__(max_length=32, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        kind, _sep, number = value.partition(":")
        if kind not in TARGET_KINDS or not number.isdigit() or not 1 <= int(number) <= MAX_ID:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return kind, int(number)


class VisitForm(DomainErrorsMixin, forms.Form):
    target = TargetField(label=gettext_lazy("Whom did you visit"))
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), choices=VisitPurpose.choices, required=False)
    visited_at = DateTimeField(label=gettext_lazy("Visited at (empty: now)"), required=False,
                               widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}))
    findings = forms.CharField(label=gettext_lazy("Findings"), max_length=services.MAX_FINDINGS, required=False,
                               widget=forms.Textarea(attrs={"rows": 4}))
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    client_key = forms.CharField(max_length=services.MAX_CLIENT_KEY, required=False, widget=forms.HiddenInput)
    photos = PhotosField(label=gettext_lazy("Photos"), max_files=services.MAX_PHOTOS, max_bytes=MAX_PHOTO_BYTES,
                         widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))

    def clean(self):
        data = super().clean()
        if (data.get("lon") is None) != (data.get("lat") is None) and "lon" not in self.errors \
                and "lat" not in self.errors:
            self.add_error("lon", _("Give both longitude and latitude, or neither."))
        return data

    def service_kwargs(self) -> dict:
        """visit_record's arguments (the photos are read and checked by the view)."""
        data = self.cleaned_data
        kind, target_id = data["target"]
        return {kind: target_id, "purpose": data["purpose"] or VisitPurpose.ROUTINE, "findings": data["findings"],
                "visited_at": data["visited_at"], "lon": data["lon"], "lat": data["lat"],
                "client_key": data["client_key"]}


class VisitFilterForm(forms.Form):
    """?person=, ?household=, ?unit=, ?worker= of the log and the form (a value that is not an id is ignored)."""

    person = IdField()
    household = IdField()
    unit = IdField()
    worker = IdField()

    def values(self) -> dict:
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.fields}

    def target(self) -> tuple[str, int] | None:
        values = self.values()
        return next(((k, values[k]) for k in TARGET_KINDS if values[k]), None)


class TargetSearchForm(FilterForm):
    q = SearchField()
