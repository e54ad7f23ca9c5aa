"""Identity documents: the GB 11643-1999 citizen identity number check, normalisation, and the keyed hashes that
find a person, a phone or a house without decrypting anything (``gridgov.common.crypto.keyed_hash``)."""

import datetime as dt
import re

from django.utils.translation import gettext as _

from gridgov.common.crypto import keyed_hash
from gridgov.registry.choices import IdType

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID18 = re.compile(r"\d{17}[\dX]")
# First two digits: the province-level codes of GB/T 2260 (including 71 Taiwan, 81 Hong Kong, 82 Macao).
_PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
              "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"}


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def normalize_id(id_type: str, number: str) -> str:
    """Strip spaces; upper-case (the X of an identity number, letters of passports)."""
    return re.sub(r"\s+", "", number or "").upper()


def id_number_error(number: str, *, today: dt.date | None = None) -> str | None:
    """Why an 18-digit citizen identity number is not valid (in the user's language), or None when it is."""
    if not _ID18.fullmatch(number):
        return _("An identity number has 18 characters: 17 digits and a final digit or X.")
    if number[:2] not in _PROVINCES:
        return _("The first two digits %(code)s are not a province code.") % {"code": number[:2]}
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _("Digits 7 to 14 are not a valid date of birth.")
    if born < dt.date(1880, 1, 1) or born > (today or dt.date.today()):
        return _("The date of birth %(date)s is not possible.") % {"date": born.isoformat()}
    expected = check_digit(number[:17])
    if number[17] != expected:
        return _("The check digit is wrong (expected %(expected)s): a digit was probably mistyped.") % {
            "expected": expected}
    return None


def document_error(id_type: str, number: str) -> str | None:
    """Why a document number is not valid for its type, or None."""
    if not number:
        return _("The document number is required.")
    if id_type == IdType.RESIDENT_ID:
        return id_number_error(number)
    if not re.fullmatch(r"[A-Z0-9-]{5,32}", number):
        return _("A document number has 5 to 32 letters, digits or hyphens.")
    return None


def birth_date_and_gender(number: str) -> tuple[dt.date, str]:
    """From a valid 18-digit identity number: the date of birth and the gender (odd 17th digit: male)."""
    born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return born, "male" if int(number[16]) % 2 else "female"


def id_hash(id_type: str, number: str) -> str:
    """The keyed hash stored in ``Person.id_hash``: the same person gives the same hash however it is typed."""
    return keyed_hash(f"{id_type}:{normalize_id(id_type, number)}", "person.id")


def phone_hash(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return keyed_hash(digits, "phone") if digits else ""


def address_key(address: str, room: str = "") -> str:
    """``House.address_key``: whitespace and full-width forms folded, so one house is recorded once."""
    import unicodedata

    text = unicodedata.normalize("NFKC", f"{address}|{room}")
    return keyed_hash(re.sub(r"\s+", "", text).upper(), "house.address")
