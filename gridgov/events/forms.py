"""The public forms of the citizen channel (no login): a report through a grid's QR code, and the rating of a closed
case. Each checks what was sent with the message next to the field; the services take the case in."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.common.forms import DomainErrorsMixin, FilterForm, MultipleFileInput, PhotosField, SearchField
from gridgov.events import citizen
from gridgov.events.api import MAX_PHOTO_BYTES
from gridgov.events.choices import Satisfaction


def _citizen_phone(value: str) -> None:
    digits = value.replace("-", "")
    if value and not (digits.isdigit() and 7 <= len(digits) <= 13):
        raise forms.ValidationError(_("Enter a phone number with digits only, or leave it empty."))


class CitizenReportForm(DomainErrorsMixin, forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("What kind of problem"),
                                 error_messages={"required": gettext_lazy("Choose what kind of problem it is."),
                                                 "invalid_choice": gettext_lazy("Choose what kind of problem it is.")})
    description = forms.CharField(label=gettext_lazy("What is wrong"), max_length=2000,
                                  error_messages={"required": gettext_lazy("Describe what is wrong.")},
                                  widget=forms.Textarea(attrs={"rows": 4}))
    photos = PhotosField(label=gettext_lazy("Photos (up to 3, optional)"), max_files=citizen.MAX_PHOTOS,
                         max_bytes=MAX_PHOTO_BYTES,
                         widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=64, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=gettext_lazy("Your phone number"), max_length=32, required=False,
                            validators=[_citizen_phone],
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups, current = [("", _("Choose…"))], None
        for c in citizen.citizen_categories():  # classes become groups of their subclasses and items
            if c.level == "class":
                current = []
                groups.append((c.name, current))
            elif current is not None:
                current.append((c.code, c.name))
            else:
                groups.append((c.code, c.name))
        self.fields["category"].choices = groups

    def clean(self):
        data = super().clean()
        if (data.get("lon") is None) != (data.get("lat") is None):  # half a position: use the grid's instead
            data["lon"] = data["lat"] = None
        return data


class CitizenPointForm(forms.Form):
    """A point the citizen put the pin on (asking which grid it is in)."""

    lon = forms.FloatField(min_value=-180, max_value=180)
    lat = forms.FloatField(min_value=-90, max_value=90)


class CitizenRatingForm(DomainErrorsMixin, forms.Form):
    satisfaction = forms.ChoiceField(choices=Satisfaction.choices, widget=forms.RadioSelect,
                                     initial=Satisfaction.choices[0][0])
    comment = forms.CharField(label=gettext_lazy("Comment (optional)"), max_length=500, required=False)


class CaseListFilter(FilterForm):
    """The workbench's queue tab and search box; the queues offered depend on the role. Without a queue (or with
    one the role does not have) the list opens on ``initial`` — the first queue with cases in it."""

    queue = forms.ChoiceField(required=False)
    q = SearchField()

    def __init__(self, data=None, *, queues: list[str], initial: str | None = None):
        super().__init__(data)
        self.fields["queue"].choices = [(name, name) for name in queues]
        self.fields["queue"].initial = initial or (queues[0] if queues else "")
