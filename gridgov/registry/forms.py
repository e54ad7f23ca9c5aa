"""The registry's web forms: a person, a house, a household, a unit, a social organisation. Each form checks the
shape of what was typed (required, lengths, choices, numbers, dates, phone and credit-code format) with the message
next to the field; the service then applies the domain rules (identity-number checksum, one record once, the grid in
the user's area) and any refusal it raises is put back on the field it names (``add_domain_error``)."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.common.forms import DomainErrorsMixin, FilterForm, SearchField, error_lines
from gridgov.regions.choices import GRID_LEVELS, RegionStatus
from gridgov.regions.models import Region
from gridgov.registry import idcard, policy, selectors, validation
from gridgov.registry.choices import (
    Gender,
    HouseUse,
    IdType,
    ImportKind,
    ImportMode,
    OrgKind,
    Rental,
    Residence,
    RevealPurpose,
    UnitKind,
)
from gridgov.registry.services import reveal_reason_problems

GRID_CHOICES_SHOWN = 500
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}
TEXT = {"autocomplete": "off"}


class SecretInput(forms.TextInput):
    """A text input that shows a typed identity number or phone again only when it is what is wrong (like a
    password field, but visible while typing)."""

    render_value = False

    def get_context(self, name, value, attrs):
        return super().get_context(name, value if self.render_value else None, attrs)


def _text(max_length, label, *, required=False, help_text="", secret=False):
    return forms.CharField(label=label, max_length=max_length, required=required, help_text=help_text,
                           widget=SecretInput(attrs=TEXT) if secret else forms.TextInput(attrs=TEXT))


def _choice(choices, label, initial):
    """A select; left out, the service uses its default."""
    return forms.ChoiceField(label=label, choices=choices, initial=initial, required=False)


def _phone_format(value: str) -> None:
    if message := validation.phone_error(validation.normalize_phone(value)):
        raise forms.ValidationError(message)


def _credit_code_format(value: str) -> None:
    if message := validation.credit_code_error(value.strip().upper()):
        raise forms.ValidationError(message)


class GridChoiceField(forms.ChoiceField):
    """The grids of the user's area (the first 500 listed); any grid of the area is accepted."""

    def __init__(self, *, user, **kwargs):
        self.grids = (Region.objects.restrict(user).filter(level__in=GRID_LEVELS)
                      .exclude(status=RegionStatus.RETIRED).order_by("code"))
        shown = self.grids.values_list("code", "name")[:GRID_CHOICES_SHOWN]
        super().__init__(choices=[("", _("— from the position —"))] + [(c, f"{n}（{c}）") for c, n in shown],
                         **kwargs)

    def valid_value(self, value):
        return super().valid_value(value) or self.grids.filter(code=value).exists()


class RegistryForm(DomainErrorsMixin, forms.Form):
    """What the record forms share: the place (a grid, or the position), the secrets, and the service's errors put
    back on their fields."""

    secrets: tuple[str, ...] = ()
    place = True

    def __init__(self, *args, user, instance=None, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)
        if self.place:
            self.fields["grid_code"] = GridChoiceField(user=user, label=_("Grid"), required=False)
            self.fields["lon"] = forms.FloatField(label=_("Longitude"), required=False, min_value=-180,
                                                  max_value=180, widget=forms.TextInput(attrs=DECIMAL))
            self.fields["lat"] = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90,
                                                  widget=forms.TextInput(attrs=DECIMAL))
        for name in self.secrets:
            if instance is not None and getattr(instance, name, ""):
                self.fields[name].help_text = _("Leave empty to keep the recorded one.")
        if instance is not None and not self.is_bound:
            self.initial.update(self.instance_values(instance))

    def instance_values(self, obj) -> dict:
        """The form's values for a stored record (secrets stay empty)."""
        values = {name: getattr(obj, name) for name in self.fields if hasattr(obj, name) and name not in self.secrets}
        if "grid_code" in self.fields:
            values["grid_code"] = obj.grid.code
        return {k: ("" if v is None else v) for k, v in values.items()}

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.secrets:  # a wrong secret is shown again so that it can be corrected
            if name in self.errors:
                self.fields[name].widget.render_value = True

    def service_data(self) -> dict:
        """cleaned_data as the service takes it. Editing: an empty secret or grid keeps the recorded one."""
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in self.cleaned_data.items()}
        if self.instance is not None:
            for name in self.secrets + ("grid_code",):
                if name in data and not data[name]:
                    data.pop(name)
        return data


class PersonForm(RegistryForm):
    secrets = ("id_number", "phone")

    name = _text(64, gettext_lazy("Name"), required=True)
    id_type = _choice(IdType.choices, gettext_lazy("Document type"), IdType.RESIDENT_ID)
    id_number = _text(40, gettext_lazy("Document number"), secret=True,
                      help_text=gettext_lazy("Birth date and gender are read from an identity number."))
    phone = _text(32, gettext_lazy("Phone"), secret=True)
    residence = _choice(Residence.choices, gettext_lazy("Residence"), Residence.REGISTERED)
    gender = _choice(Gender.choices, gettext_lazy("Gender (documents other than the identity card)"), Gender.UNKNOWN)
    birth_date = forms.DateField(label=gettext_lazy("Date of birth (documents other than the identity card)"),
                                 required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    ethnicity = _text(16, gettext_lazy("Ethnicity"))
    household_number = _text(32, gettext_lazy("Household number"))
    relation = _text(16, gettext_lazy("Relation to the head"))
    registered_address = _text(200, gettext_lazy("Registered address"))
    current_address = _text(200, gettext_lazy("Current address"))
    workplace = _text(100, gettext_lazy("Workplace"))
    tags = forms.MultipleChoiceField(label=gettext_lazy("Tags"), required=False,
                                     widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, instance=None, **kwargs):
        super().__init__(*args, user=user, instance=instance, **kwargs)
        self.fields["tags"].choices = [(t.code, t.name) for t in selectors.visible_tags(user)]
        self.fields["phone"].validators.append(_phone_format)
        if instance is None:
            self.fields["id_number"].required = True
        else:
            self.fields["id_number"].help_text = _("Stored encrypted. Leave empty to keep the recorded one.")
            if not self.is_bound:
                self.initial["tags"] = [pt.tag.code for pt in instance.visible_tags]
                self.initial["household_number"] = instance.household.number if instance.household_id else ""

    def clean(self):
        data = super().clean()
        id_type, number = data.get("id_type") or IdType.RESIDENT_ID, data.get("id_number")
        if number:
            number = idcard.normalize_id(id_type, number)
            error = (idcard.id_number_error(number) if id_type == IdType.RESIDENT_ID
                     else idcard.document_error(id_type, number))
            if error:
                self.add_error("id_number", error)
            else:
                data["id_number"] = number
        return data

    def clean_birth_date(self):
        day = self.cleaned_data.get("birth_date")
        if day is not None and not dt.date(1880, 1, 1) <= day <= timezone.localdate():
            raise forms.ValidationError(_("The date of birth %(date)s is not possible.") % {"date": day.isoformat()})
        return day

    def service_data(self) -> dict:
        data = super().service_data()
        if self.instance is not None and "id_number" not in data:
            data.pop("id_type", None)  # the recorded document stays as it is
        return data


class HouseForm(RegistryForm):
    secrets = ("owner_phone",)

    address = _text(200, gettext_lazy("Address"), required=True)
    building = _text(100, gettext_lazy("Building"))
    room = _text(50, gettext_lazy("Room"))
    use = _choice(HouseUse.choices, gettext_lazy("Use"), HouseUse.SELF)
    rental = _choice(Rental.choices, gettext_lazy("Rental status"), Rental.NONE)
    area_m2 = forms.DecimalField(label=gettext_lazy("Floor area (m²)"), required=False, min_value=0,
                                 max_value=9_999_999, widget=forms.TextInput(attrs=DECIMAL))
    owner_name = _text(64, gettext_lazy("Owner"))
    owner_phone = _text(32, gettext_lazy("Owner's phone"), secret=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_phone"].validators.append(_phone_format)


class HouseholdForm(RegistryForm):
    place = False

    number = _text(32, gettext_lazy("Household number"), required=True)
    residence = _choice(Residence.choices, gettext_lazy("Kind"), Residence.REGISTERED)
    head_name = _text(64, gettext_lazy("Head of household"))
    house_address = _text(200, gettext_lazy("House address"), help_text=gettext_lazy(
        "A house already recorded: its address (and room), to link the household to it."))
    house_room = _text(50, gettext_lazy("Room"))

    def __init__(self, *args, user, instance=None, **kwargs):
        super().__init__(*args, user=user, instance=instance, **kwargs)
        self.fields["grid_code"] = GridChoiceField(user=user, label=_("Grid"), required=False)
        if instance is not None and not self.is_bound:
            house = instance.house if instance.house_id else None
            self.initial.update(grid_code=instance.grid.code, house_address=house.address if house else "",
                                house_room=house.room if house else "")


class _BodyForm(RegistryForm):
    """What units and social organisations share: a name, a credit code, an address and a contact phone."""

    secrets = ("contact_phone",)

    name = _text(100, gettext_lazy("Name"), required=True)
    credit_code = _text(18, gettext_lazy("Unified social credit code"))
    address = _text(200, gettext_lazy("Address"))
    contact_phone = _text(32, gettext_lazy("Contact phone"), secret=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_phone"].validators.append(_phone_format)
        self.fields["credit_code"].validators.append(_credit_code_format)


class UnitForm(_BodyForm):
    field_order = ["name", "credit_code", "kind", "address", "legal_person", "contact_phone", "employees",
                   "is_key_site"]

    kind = _choice(UnitKind.choices, gettext_lazy("Kind"), UnitKind.ENTERPRISE)
    legal_person = _text(64, gettext_lazy("Legal representative"))
    employees = forms.IntegerField(label=gettext_lazy("Employees"), required=False, min_value=0,
                                   max_value=10_000_000, initial=0, widget=forms.TextInput(attrs=DECIMAL))
    is_key_site = forms.BooleanField(label=gettext_lazy("Key site"), required=False)


class OrganisationForm(_BodyForm):
    field_order = ["name", "credit_code", "kind", "address", "contact_name", "contact_phone", "members"]

    kind = _choice(OrgKind.choices, gettext_lazy("Kind"), OrgKind.COMMUNITY)
    contact_name = _text(64, gettext_lazy("Contact"))
    members = forms.IntegerField(label=gettext_lazy("Members"), required=False, min_value=0, max_value=10_000_000,
                                 initial=0, widget=forms.TextInput(attrs=DECIMAL))


class RevealForm(DomainErrorsMixin, forms.Form):
    """Which secret to show, and why: a purpose from the list and a text ("other" requires it), checked by the same
    rules as the API (``services.reveal_reason_problems``). The page's htmx reveal box."""

    field = forms.ChoiceField(choices=[(f, f) for f in policy.REVEAL_FIELDS], widget=forms.HiddenInput,
                              error_messages={
                                  "invalid_choice": gettext_lazy("Only the document number or the phone can be "
                                                                 "revealed."),
                                  "required": gettext_lazy("Only the document number or the phone can be revealed.")})
    purpose = forms.ChoiceField(label=gettext_lazy("Why it is needed"), required=False,
                                choices=[("", gettext_lazy("Choose the purpose…"))] + RevealPurpose.choices,
                                widget=forms.Select(attrs={"aria-label": gettext_lazy("Why it is needed")}))
    reason = forms.CharField(label=gettext_lazy("Details"), required=False, widget=forms.TextInput(attrs={
        "aria-label": gettext_lazy("Details"), "autocomplete": "off",
        "placeholder": gettext_lazy('Details (required for "other")')}))

    def clean(self):
        data = super().clean()
        if "purpose" not in self.errors and "reason" not in self.errors:
            data["purpose"], data["reason"], problems = reveal_reason_problems(data.get("purpose"),
                                                                               data.get("reason", ""))
            for problem in problems:
                self.add_error(problem["field"], problem["message"])
        return data


class ImportForm(forms.Form):
    """Upload a filled template: which registry, how to apply it, the file (its content is checked by the job)."""

    kind = forms.ChoiceField(choices=ImportKind.choices,
                             error_messages={"invalid_choice": gettext_lazy("Unknown registry.")})
    mode = forms.ChoiceField(choices=ImportMode.choices, required=False, error_messages={
        "invalid_choice": gettext_lazy("Choose how to import: apply the valid rows, or all or nothing.")})
    file = forms.FileField(error_messages={"required": gettext_lazy("Choose an Excel file (.xlsx)."),
                                           "empty": gettext_lazy("The file is empty.")})

    def error_text(self) -> str:
        return "；".join(error_lines(self))


class SearchForm(forms.Form):
    """The registry search's filters (POSTed, so that a typed ID number or phone stays out of URLs)."""

    q = SearchField()
    grid = forms.CharField(label=gettext_lazy("Region code"), max_length=32, required=False)
    tag = forms.CharField(label=gettext_lazy("Tags"), max_length=32, required=False)
    residence = forms.CharField(label=gettext_lazy("Residence"), max_length=16, required=False)
    rental = forms.CharField(label=gettext_lazy("Rental status"), max_length=16, required=False)
    kind = forms.CharField(label=gettext_lazy("Kind"), max_length=16, required=False)

    def filters(self) -> dict:
        """The cleaned filters ("" for each one that is not valid)."""
        self.is_valid()
        return {name: self.cleaned_data.get(name, "") for name in self.fields}

    def error_text(self) -> str:
        return "；".join(error_lines(self))


class CoverageFilter(FilterForm):
    region = forms.CharField(max_length=32, required=False, initial="")
