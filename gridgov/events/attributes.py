"""A category's extra questions (``CategoryAttribute``: 部件编号, 是否有人受伤, 涉及人数 …) and the answers a case
carries: the choices of a list question are checked when the question is saved (``clean_choices``), the answers of
a request against the questions when it is filed (``attribute_answers``). The datatypes are Open311 GeoReport v2's
(docs/open311.md, "Service definitions")."""

import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.common.calendar import parse_moment
from gridgov.common.errors import ValidationFailed
from gridgov.events.choices import AttributeType

LIST_TYPES = (AttributeType.SINGLE, AttributeType.MULTI)
MAX_CHOICES = 50
MAX_KEY = 32
MAX_NAME = 100
MAX_STRING = 200
MAX_TEXT = 2000
MAX_NUMBER = Decimal("1e12")


# ======================================================================================================================
# The questions
# ======================================================================================================================
def clean_choices(datatype: str, values) -> list[dict]:
    """The choices of a question as stored: ``[{"key", "name"}]``, keys unique; required for the list types and
    empty for the others. ``ValidationError`` (on ``values``) says what is wrong."""
    if datatype not in LIST_TYPES:
        if values:
            raise ValidationError({"values": _("Only the list types have choices; leave this empty.")})
        return []
    if not isinstance(values, list) or not values:
        raise ValidationError({"values": _("A list question needs at least one choice.")})
    if len(values) > MAX_CHOICES:
        raise ValidationError({"values": _("At most %(n)d choices.") % {"n": MAX_CHOICES}})
    cleaned, seen = [], set()
    for item in values:
        key = str(item.get("key", "") if isinstance(item, dict) else "").strip()
        name = str(item.get("name", "") if isinstance(item, dict) else "").strip()
        if not key or not name or len(key) > MAX_KEY or len(name) > MAX_NAME:
            raise ValidationError({"values": _("Each choice needs a key (at most %(key)d characters) and a name (at "
                                               "most %(name)d).") % {"key": MAX_KEY, "name": MAX_NAME}})
        if key in seen:
            raise ValidationError({"values": _("The key %(key)s is used twice.") % {"key": key}})
        seen.add(key)
        cleaned.append({"key": key, "name": name})
    return cleaned


def choices_from_text(text: str) -> list[dict]:
    """The admin's way to type choices: one a line, ``key=name`` (a line without "=" is both key and name)."""
    choices = []
    for line in (text or "").splitlines():
        if line.strip():
            key, _sep, name = line.partition("=")
            choices.append({"key": key.strip(), "name": (name if _sep else key).strip()})
    return choices


def choices_to_text(values) -> str:
    return "\n".join(f"{v['key']}={v['name']}" for v in values or [])


# ======================================================================================================================
# The answers
# ======================================================================================================================
def _refuse(attribute, message) -> ValidationFailed:
    return ValidationFailed(message, field=f"attribute[{attribute.code}]", code="invalid_attribute")


def attribute_answers(questions, given: dict[str, list[str]]) -> list[dict]:
    """Check the answers given for a category's questions (code → the values sent; a list of several only for a
    multiple-choice question) and return what the case keeps, in the questions' order:
    ``[{"code", "label", "value", "text"}]`` — ``value`` the typed answer (a string, a number, an ISO 8601 date and
    time, a key or a list of keys), ``text`` how a person reads it. Codes that are no question of the category are
    ignored; a question that only informs (``variable`` false) takes no answer. ``ValidationFailed`` on
    ``attribute[code]`` for a required question left empty, a value of the wrong type or outside the list."""
    answers = []
    for attribute in sorted(questions, key=lambda a: (a.order, a.pk or 0)):
        if not attribute.variable:
            continue
        values = [v.strip() for v in given.get(attribute.code, []) if isinstance(v, str) and v.strip()]
        if not values:
            if attribute.required:
                raise _refuse(attribute, _("Required: %(question)s") % {"question": attribute.description})
            continue
        if attribute.datatype != AttributeType.MULTI and len(values) > 1:
            raise _refuse(attribute, _("Give one value, not %(n)d.") % {"n": len(values)})
        value, text = _typed(attribute, values)
        answers.append({"code": attribute.code, "label": attribute.description, "value": value, "text": text})
    return answers


def _typed(attribute, values: list[str]):
    raw = values[0]
    datatype = attribute.datatype
    if datatype == AttributeType.STRING:
        if len(raw) > MAX_STRING or "\n" in raw or "\r" in raw:
            raise _refuse(attribute, _("One line of at most %(n)d characters.") % {"n": MAX_STRING})
        return raw, raw
    if datatype == AttributeType.TEXT:
        if len(raw) > MAX_TEXT:
            raise _refuse(attribute, _("At most %(n)s characters.") % {"n": MAX_TEXT})
        return raw, raw
    if datatype == AttributeType.NUMBER:
        try:
            number = Decimal(raw)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) >= MAX_NUMBER:
            raise _refuse(attribute, _("Must be a number, e.g. 3 or 2.5."))
        value = int(number) if number == number.to_integral_value() else float(number)
        if isinstance(value, float) and not math.isfinite(value):
            raise _refuse(attribute, _("Must be a number, e.g. 3 or 2.5."))
        return value, f"{number.normalize():f}"
    if datatype == AttributeType.DATETIME:
        when = parse_moment(raw)
        if when is None:
            raise _refuse(attribute, _("Must be an ISO 8601 date and time, e.g. 2026-01-05T08:00:00+08:00."))
        local = timezone.localtime(when).replace(microsecond=0)
        return local.isoformat(), f"{local:%Y-%m-%d %H:%M}"
    names = {choice["key"]: choice["name"] for choice in attribute.values or []}
    keys = list(dict.fromkeys(values))
    unknown = [key for key in keys if key not in names]
    if unknown:
        raise _refuse(attribute, _("%(value)s is not one of the choices: %(choices)s.") % {
            "value": unknown[0][:32], "choices": "、".join(f"{k}（{n}）" for k, n in names.items())})
    if datatype == AttributeType.SINGLE:
        return keys[0], names[keys[0]]
    return keys, "、".join(names[key] for key in keys)
