"""What the apps' web forms share: every error worded once ("label：message" for each message of each field,
``error_lines``, shown by ``web/_form_errors.html``), a service's refusal put back on the field it names, bounded
ids, dates within a sensible span, and a field for several photos at once."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.common.api_types import FIRST_DAY, LAST_DAY, MAX_ID
from gridgov.common.errors import DomainError

_ASIDE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")  # "照片（选填，最多 3 张）" → "照片"


def field_label(form, name) -> str:
    """What the user reads for a field: its label (the model's verbose_name for a model form), without a trailing
    aside such as "（选填）"; "" for a field without a label of its own (never the English name)."""
    field = form.fields.get(name) if name else None
    label = str(field.label) if field is not None and field.label else ""
    if not label and field is not None:
        label = str(field.widget.attrs.get("aria-label", ""))
    return _ASIDE.sub("", label).strip()


def error_lines(form) -> list[str]:
    """Every problem of a bound form, in the order of its fields: "label：message" for each message of each field,
    then the problems of the whole form. The one place that words a form's errors for people."""
    errors = form.errors
    ordered = [name for name in form.fields if name in errors] + [n for n in errors if n not in form.fields]
    lines = []
    for name in ordered:
        label = "" if name == NON_FIELD_ERRORS else field_label(form, name)
        lines += [f"{label}：{message}" if label else str(message) for message in errors[name]]
    return lines


class DomainErrorsMixin:
    """``add_domain_error(exc)``: each detail ({field, message}) or the error's own field gets the message; a field
    the form does not show puts it above the form. Text boxes carry no ``maxlength``: a browser silently drops what
    is typed or pasted beyond it, so the form refuses it instead, with the limit and the length."""

    field_aliases = {"photo": "photos"}  # the image checks name one photo; the forms take several

    def __getitem__(self, name):
        bound = super().__getitem__(name)  # every field, also those a form adds in its __init__
        bound.field.widget.attrs.pop("maxlength", None)
        return bound

    def add_domain_error(self, exc: DomainError) -> None:
        pairs = [(d.get("field"), d.get("message")) for d in exc.details if isinstance(d, dict) and "message" in d]
        if not pairs or (exc.field and exc.field not in {f for f, _m in pairs}):
            pairs.insert(0, (exc.field, str(exc.message)))
        for field, message in pairs:
            field = self.field_aliases.get(field, field)
            self.add_error(field if field in self.fields else None, str(message))


class IdField(forms.IntegerField):
    """A record's id: 1 … 2**31-1 (what both databases' integer columns hold)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


def in_span(value):
    """A date or a date and time between FIRST_DAY and LAST_DAY (far dates overflow time-zone arithmetic)."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(_("Dates must lie between %(first)s and %(last)s.")
                                    % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})


class DateField(forms.DateField):
    default_validators = [in_span]


class DateTimeField(forms.DateTimeField):
    default_validators = [in_span]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several uploaded files under one name (``<input type=file multiple>``): at most ``max_files``, each at most
    ``max_bytes``; the service reads and checks their content."""

    widget = MultipleFileInput

    def __init__(self, *, max_files: int, max_bytes: int, **kwargs):
        kwargs.setdefault("required", False)
        self.max_files, self.max_bytes = max_files, max_bytes
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > self.max_files:
            raise forms.ValidationError(_("At most %(n)s photos.") % {"n": self.max_files})
        for f in files:
            if f.size > self.max_bytes:
                raise forms.ValidationError(_("The file is larger than %(mb)d MB.") % {"mb": self.max_bytes // 2**20})
        return files



SEARCH_MAX_LENGTH = 64


class SearchField(forms.CharField):
    """A list page's search box: at most SEARCH_MAX_LENGTH characters (the input says so to the browser too); a
    longer search is reported on the page (``FilterForm.problems``) and left out, never sent to the database."""

    default_error_messages = {"max_length": gettext_lazy(
        "At most %(limit_value)d characters (%(show_value)d given): shorten the search.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Search"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", "")
        super().__init__(max_length=SEARCH_MAX_LENGTH, **kwargs)


class FilterForm(forms.Form):
    """A list page's GET filters: ``values()`` are the cleaned filters; a filter left empty or that does not
    validate takes the field's ``initial`` (a stale or hand-edited address still shows the list, never an error).
    ``problems()`` says on the page which filters were left out and why (e.g. a search that is too long)."""

    def values(self) -> dict:
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        out = {}
        for name, field in self.fields.items():
            value = cleaned.get(name) if name not in self.errors else None
            out[name] = value if value not in (None, "") else field.initial
        return out

    def problems(self) -> list[str]:
        self.is_valid()
        return [_("%(field)s: %(message)s") % {"field": self.fields[name].label or name, "message": message}
                for name, messages in self.errors.items() for message in messages]
