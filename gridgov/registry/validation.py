"""Validation and normalisation of registry input, shared by the services, the forms, the API and the Excel import.

Plain functions, no database: ``clean_person(row)`` (and ``clean_house``, ``clean_household``, ``clean_unit``,
``clean_organisation``) take a dict of raw values — strings from a form, cells from openpyxl (int, float, datetime)
— and return ``(values, errors)``: ``values`` holds the cleaned values under the model's field names plus derived
ones (``id_hash``, ``phone_hash``, ``address_key``, the birth date and gender read from an identity number);
``errors`` maps a field name to a reason in the user's language. A row is good when ``errors`` is empty.

Placement is checked for presence only (``grid_code`` or both ``lon`` and ``lat``); finding the grid is a database
question answered by ``registry.services.grid_resolve``. Choices accept the stored value, the English label or
the Chinese label ("出租" as well as "rented"), so an Excel validation list in Chinese works.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.registry import idcard
from gridgov.registry.choices import (
    Gender,
    HouseUse,
    IdType,
    OrgKind,
    Rental,
    Residence,
    UnitKind,
)

Values = dict
Errors = dict

MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
TRUE_WORDS = {"1", "true", "yes", "y", "是", "√", "on"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "off"}


# --- single values -------------------------------------------------------------------------------------------------
def text(value) -> str:
    """A cell or form value as stripped text; an integral float (Excel's 13812345678.0) loses its ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _length_error(value: str, max_length: int) -> str | None:
    if len(value) > max_length:
        return _("At most %(n)d characters.") % {"n": max_length}
    return None


def phone_error(phone: str) -> str | None:
    """A mainland mobile (11 digits from 13…19) or a landline with its area code (0755-12345678), or None."""
    if not phone:
        return None
    if MOBILE.fullmatch(phone) or LANDLINE.fullmatch(phone):
        return None
    return _("A phone number is an 11-digit mobile number or a landline with its area code, e.g. 0755-12345678.")


def normalize_phone(value) -> str:
    """Spaces, dots, brackets and a +86 prefix removed; the hyphen of a landline kept."""
    phone = re.sub(r"[\s().]", "", text(value))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    return phone


def credit_code_error(code: str) -> str | None:
    """The unified social credit code (GB 32100-2015): 18 characters with a check character, or None."""
    if not code:
        return None
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return _("A unified social credit code has 18 digits or capital letters (no I, O, S, V, Z).")
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS))
    expected = _USCC_CHARS[(31 - total % 31) % 31]
    if code[17] != expected:
        return _("The check character of the credit code is wrong (expected %(expected)s).") % {"expected": expected}
    return None


def credit_code_check(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def choice(value, choices) -> str | None:
    """The stored value of a TextChoices member given its value, its English label or its Chinese label."""
    raw = text(value)
    if not raw:
        return None
    folded = raw.casefold()
    for member in choices:
        if folded in (member.value.casefold(), str(member.label).casefold()):
            return member.value
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for member in choices:
                if folded == str(member.label).casefold():
                    return member.value
    return None


def choice_error() -> str:
    return _("Not one of the allowed values.")


def date_value(value) -> dt.date | None:
    """A date from a datetime, a date or text (2024-03-07, 2024/3/7, 20240307, 2024年3月7日); raises ValueError."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = text(value)
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", raw) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})",
                                                                                             raw)
    if not match:
        raise ValueError(raw)
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


def _number(value, kind):
    raw = text(value)
    if raw == "":
        return None
    if kind is int:
        number = Decimal(raw)
        if number != number.to_integral_value() or number < 0:
            raise ValueError(raw)
        return int(number)
    if kind is Decimal:
        return Decimal(raw)
    return float(raw)


def boolean(value) -> bool | None:
    if isinstance(value, bool):
        return value
    raw = text(value).casefold()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    return None


def tag_list(value) -> list[str]:
    """Tag codes or names from a list or a text separated by commas, semicolons or 、."""
    if isinstance(value, (list, tuple, set)):
        items = value
    else:
        items = re.split(r"[,，;；、\s]+", text(value))
    return [text(item) for item in items if text(item)]


# --- rows ----------------------------------------------------------------------------------------------------------
class _Row:
    """Collects cleaned values and per-field errors for one row."""

    def __init__(self, row: dict):
        self.row = row or {}
        self.values: Values = {}
        self.errors: Errors = {}

    def has(self, field: str) -> bool:
        return field in self.row

    def text(self, field: str, max_length: int, *, required: bool = False, default: str = "") -> str:
        value = text(self.row.get(field, default))
        if required and not value:
            self.errors[field] = _("This field is required.")
        elif (error := _length_error(value, max_length)) is not None:
            self.errors[field] = error
        self.values[field] = value
        return value

    def choice(self, field: str, choices, default: str) -> str:
        raw = self.row.get(field)
        value = choice(raw, choices)
        if value is None:
            if text(raw):
                self.errors[field] = choice_error()
            value = default
        self.values[field] = str(value)
        return value

    def credit_code(self, field: str = "credit_code") -> str:
        code = text(self.row.get(field)).upper()
        if (error := credit_code_error(code)) is not None:
            self.errors[field] = error
        self.values[field] = code
        return code

    def phone(self, field: str) -> str:
        phone = normalize_phone(self.row.get(field))
        if (error := phone_error(phone)) is not None:
            self.errors[field] = error
        self.values[field] = phone
        return phone

    def number(self, field: str, kind, *, minimum=None, maximum=None):
        try:
            value = _number(self.row.get(field), kind)
        except (ValueError, InvalidOperation):
            self.errors[field] = _("Not a number.") if kind is not int else _("Not a whole number of 0 or more.")
            return None
        if value is not None and ((minimum is not None and value < minimum) or (maximum is not None and
                                                                                value > maximum)):
            self.errors[field] = _("Between %(min)s and %(max)s.") % {"min": minimum, "max": maximum}
            return None
        self.values[field] = value
        return value

    def place(self):
        """``grid_code`` or both coordinates; the service finds the grid."""
        grid_code = text(self.row.get("grid_code"))
        lon = self.number("lon", float, minimum=-180, maximum=180)
        lat = self.number("lat", float, minimum=-90, maximum=90)
        self.values.update(grid_code=grid_code, lon=lon, lat=lat)
        if "lon" in self.errors or "lat" in self.errors:
            return
        if (lon is None) != (lat is None):
            self.errors["lat" if lat is None else "lon"] = _("Give both longitude and latitude, or neither.")
        elif not grid_code and lon is None and not self.row.get("grid_id"):
            self.errors["grid_code"] = _("Choose the grid, or give the position (longitude and latitude).")
        if self.row.get("grid_id"):
            try:
                self.values["grid_id"] = int(self.row["grid_id"])
            except (TypeError, ValueError):
                self.errors["grid_code"] = _("Unknown grid.")

    def result(self) -> tuple[Values, Errors]:
        return self.values, self.errors


def clean_person(row: dict, *, today: dt.date | None = None) -> tuple[Values, Errors]:
    """A person: name, document (type and number, checked with GB 11643 for an identity card), phone, residence,
    addresses, grid; birth date and gender come from an identity number (what the row says is ignored)."""
    r = _Row(row)
    r.text("name", 64, required=True)
    id_type = r.choice("id_type", IdType, IdType.RESIDENT_ID)
    number = idcard.normalize_id(id_type, text(row.get("id_number")))
    r.values["id_number"] = number
    error = (idcard.id_number_error(number, today=today) if id_type == IdType.RESIDENT_ID and number
             else idcard.document_error(id_type, number))
    if error:
        r.errors["id_number"] = error
    else:
        r.values["id_hash"] = idcard.id_hash(id_type, number)
    if id_type == IdType.RESIDENT_ID and not error:
        r.values["birth_date"], r.values["gender"] = idcard.birth_date_and_gender(number)
    else:
        r.choice("gender", Gender, Gender.UNKNOWN)
        try:
            r.values["birth_date"] = date_value(row.get("birth_date"))
        except ValueError:
            r.errors["birth_date"] = _("Not a date (write it as 2024-03-07).")
        if r.values.get("birth_date") and r.values["birth_date"] > (today or dt.date.today()):
            r.errors["birth_date"] = _("The date of birth lies in the future.")
    phone = r.phone("phone")
    r.values["phone_hash"] = idcard.phone_hash(phone) if phone and "phone" not in r.errors else ""
    r.choice("residence", Residence, Residence.REGISTERED)
    r.text("ethnicity", 16)
    r.text("relation", 16)
    r.text("registered_address", 200)
    r.text("current_address", 200)
    r.text("workplace", 100)
    r.text("nationality", 32)
    r.text("household_number", 32)
    r.values["tags"] = tag_list(row.get("tags"))
    r.place()
    return r.result()


def clean_house(row: dict) -> tuple[Values, Errors]:
    """A house or room: address (+ building, room) → ``address_key`` (one house once), use, rental status, owner."""
    r = _Row(row)
    address = r.text("address", 200, required=True)
    r.text("building", 100)
    room = r.text("room", 50)
    if address:
        r.values["address_key"] = idcard.address_key(address, room)
    r.choice("use", HouseUse, HouseUse.SELF)
    r.choice("rental", Rental, Rental.NONE)
    r.number("area_m2", Decimal, minimum=0, maximum=Decimal("9999999.9"))
    if r.values.get("area_m2") is not None:
        r.values["area_m2"] = r.values["area_m2"].quantize(Decimal("0.1"))
    r.text("owner_name", 64)
    r.phone("owner_phone")
    r.place()
    return r.result()


def clean_household(row: dict) -> tuple[Values, Errors]:
    """A household: its number, kind, head; the house by address (+ room), if given."""
    r = _Row(row)
    r.text("number", 32, required=True)
    r.choice("residence", Residence, Residence.REGISTERED)
    r.text("head_name", 64)
    house_address = r.text("house_address", 200)
    house_room = r.text("house_room", 50)
    r.values["house_address_key"] = idcard.address_key(house_address, house_room) if house_address else ""
    r.place()
    return r.result()


def clean_unit(row: dict) -> tuple[Values, Errors]:
    r = _Row(row)
    r.text("name", 100, required=True)
    r.credit_code()
    r.choice("kind", UnitKind, UnitKind.ENTERPRISE)
    r.text("address", 200)
    r.text("legal_person", 64)
    r.phone("contact_phone")
    employees = r.number("employees", int, minimum=0, maximum=10_000_000)
    r.values["employees"] = employees or 0
    key_site = boolean(row.get("is_key_site"))
    if key_site is None:
        r.errors["is_key_site"] = _("Write 是 or 否.")
    r.values["is_key_site"] = bool(key_site)
    r.place()
    return r.result()


def clean_organisation(row: dict) -> tuple[Values, Errors]:
    r = _Row(row)
    r.text("name", 100, required=True)
    r.credit_code()
    r.choice("kind", OrgKind, OrgKind.COMMUNITY)
    r.text("address", 200)
    r.text("contact_name", 64)
    r.phone("contact_phone")
    members = r.number("members", int, minimum=0, maximum=10_000_000)
    r.values["members"] = members or 0
    r.place()
    return r.result()


CLEANERS = {"people": clean_person, "houses": clean_house, "households": clean_household, "units": clean_unit,
            "organisations": clean_organisation}
