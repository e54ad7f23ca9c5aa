"""Turn pydantic/ninja validation errors into {field, message} pairs in the user's language."""

from django.utils.translation import gettext as _

_MESSAGES = {
    "missing": lambda e: _("This field is required."),
    "float_parsing": lambda e: _("Must be a number."),
    "float_type": lambda e: _("Must be a number."),
    "int_parsing": lambda e: _("Must be a whole number."),
    "int_type": lambda e: _("Must be a whole number."),
    "int_from_float": lambda e: _("Must be a whole number."),
    "string_type": lambda e: _("Must be text."),
    "bool_parsing": lambda e: _("Must be true or false."),
    "date_from_datetime_parsing": lambda e: _("Must be a date like 2026-01-31."),
    "date_parsing": lambda e: _("Must be a date like 2026-01-31."),
    "list_type": lambda e: _("Must be a list."),
    "dict_type": lambda e: _("Must be an object."),
    "json_invalid": lambda e: _("The body is not valid JSON."),
    "model_attributes_type": lambda e: _("The body must be a JSON object."),
    "greater_than_equal": lambda e: _("Must be at least %(limit)s.") % {"limit": e.get("ctx", {}).get("ge")},
    "less_than_equal": lambda e: _("Must be at most %(limit)s.") % {"limit": e.get("ctx", {}).get("le")},
    "string_too_long": lambda e: _("At most %(n)s characters.") % {"n": e.get("ctx", {}).get("max_length")},
    "string_too_short": lambda e: _("At least %(n)s characters.") % {"n": e.get("ctx", {}).get("min_length")},
    "too_long": lambda e: _("Too many items (at most %(n)s).") % {"n": e.get("ctx", {}).get("max_length")},
    "too_short": lambda e: _("Too few items (at least %(n)s).") % {"n": e.get("ctx", {}).get("min_length")},
    "enum": lambda e: _("Must be one of: %(values)s.") % {"values": e.get("ctx", {}).get("expected", "")},
    "literal_error": lambda e: _("Must be one of: %(values)s.") % {"values": e.get("ctx", {}).get("expected", "")},
}

_LOCATIONS = {"query", "body", "path", "form", "file", "header", "cookie", "payload"}


def pydantic_error_details(errors) -> list[dict]:
    details = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", []) if str(p) not in _LOCATIONS]
        field = ".".join(loc) or "body"
        make = _MESSAGES.get(err.get("type"))
        message = make(err) if make else err.get("msg", _("Invalid value."))
        details.append({"field": field, "message": str(message)})
    return details
