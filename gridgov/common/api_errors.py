"""The API's errors in one shape: the schema every refused request answers with (``ErrorOut``), the helper that
declares an operation's success and usual 4xx answers in one call (``responses``), the translation of
pydantic/ninja validation errors into {field, message} pairs in the user's language, and the refusals of a request
that cannot be read at all (``request_refusal``: a body over the size limit, a broken form, a NUL character), which
the API and the pages share."""

from typing import Any

import ninja
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousMultipartForm, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from gridgov.common.errors import too_long


class ErrorOut(Schema):
    """The body of every 4xx answer of /api/v1/: what ``DomainError.as_dict()`` and the API's handlers return."""

    code: str = Field(..., description="Why, for programs: invalid, not_found, forbidden, conflict, unauthenticated, "
                                       "rate_limited, illegal_move, duplicate, …")
    message: str = Field(..., description="Why, for people, in the user's language")
    field: str | None = Field(None, description="The input at fault (e.g. lon, photos.0, parties.1.name)")
    details: list[dict[str, Any]] | None = Field(
        None, description="More: each bad field ({field, message}), the moves allowed now ({action, label}), the "
                          "current state ({status, version}) …")


# What each usual error answer means; the schema is ErrorOut for all of them.
ERROR_MEANINGS = {
    401: "Not logged in (or the signature is missing or wrong)",
    403: "Your role, your area or the CSRF check does not allow this",
    404: "No such record, or it is outside your area",
    409: "Someone changed it first, or it already exists elsewhere",
    413: "The body is larger than the server takes (a JSON or form body over 2.5 MB, more than 1,000 fields or 100 "
         "files, a whole request over GRIDGOV_MAX_REQUEST_MB)",
    422: "Invalid input: the body names the field and the reason (also a text with a NUL character, or a body that "
         "cannot be read)",
    429: "Too many requests: wait for Retry-After seconds",
}
# Answered by the web server in front of the API, before it runs: no ErrorOut body (gunicorn's, or a proxy's, page).
ADDRESS_TOO_LONG = {
    "description": "The address (path and query) is longer than the web server takes (gunicorn: 4,094 bytes; a "
                   "proxy in front may take less). Answered before the API runs, with the web server's own page, "
                   "not ErrorOut",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def responses(ok, *, session: bool = True, not_found: bool = False, invalid: bool = True, conflict: bool = False,
              throttled: bool = False, unauthenticated: bool | None = None) -> dict:
    """``response=`` for an operation: its success answer(s) and the usual errors, all with ``ErrorOut``.

    ``ok`` is the success schema (answered with 200) or a dict ``{status: schema}`` (e.g. ``{201: Out, 200: Out}``).
    ``session``: a logged-in account is needed (401 without one, 403 for a role or area that may not);
    ``not_found``: it takes an id or a code (404); ``invalid``: it takes input (422); ``conflict``: 409;
    ``throttled``: 429; ``unauthenticated``: 401 without a session (e.g. a signed request)."""
    answers = dict(ok) if isinstance(ok, dict) else {200: ok}
    codes = []
    if session or unauthenticated:
        codes.append(401)
    if session:
        codes.append(403)
    if not_found:
        codes.append(404)
    if conflict:
        codes.append(409)
    if invalid:
        codes.append(422)
    if throttled:
        codes.append(429)
    for code in codes:
        answers.setdefault(code, ErrorOut)
    return answers


def document_request_refusals(schema: dict) -> dict:
    """What every operation may answer whatever it declares, added to an OpenAPI document: 422 (a NUL character in
    any text, a body that cannot be read), 413 where it takes a body, and 414 (the web server's limit on the
    address)."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    for item in schema.get("paths", {}).values():
        for op in item.values():
            answers = op.setdefault("responses", {})
            codes = {int(code) for code in answers}
            if 422 not in codes:
                answers[422] = {"description": ERROR_MEANINGS[422], **error}
            if "requestBody" in op and 413 not in codes:
                answers[413] = {"description": ERROR_MEANINGS[413], **error}
            if 414 not in codes:
                answers[414] = ADDRESS_TOO_LONG
    return schema


def file_answer(content_type: str, status: int = 200) -> dict:
    """``openapi_extra=`` for an operation that answers with a file (declare ``{status: None}`` in ``responses``)."""
    return {"responses": {status: {"description": "A file",
                                   "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}}}


_MESSAGES = {
    "missing": lambda e: _("This field is required."),
    "float_parsing": lambda e: _("Must be a number."),
    "float_type": lambda e: _("Must be a number."),
    "int_parsing": lambda e: _("Must be a whole number."),
    "int_type": lambda e: _("Must be a whole number."),
    "int_from_float": lambda e: _("Must be a whole number."),
    "int_parsing_size": lambda e: _("Must be a whole number of a sensible size."),
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
    "string_too_long": lambda e: (too_long(e["ctx"]["max_length"], e["ctx"]["length"])
                                  if {"max_length", "length"} <= set(e.get("ctx", {}))
                                  else _("At most %(n)s characters.") % {"n": e.get("ctx", {}).get("max_length")}),
    "string_too_short": lambda e: (_("This field is required.") if e.get("ctx", {}).get("min_length") == 1
                                   else _("At least %(n)s characters.") % {"n": e.get("ctx", {}).get("min_length")}),
    "too_long": lambda e: _("Too many items (at most %(n)s).") % {"n": e.get("ctx", {}).get("max_length")},
    "too_short": lambda e: _("Too few items (at least %(n)s).") % {"n": e.get("ctx", {}).get("min_length")},
    "enum": lambda e: _("Must be one of: %(values)s.") % {"values": e.get("ctx", {}).get("expected", "")},
    "literal_error": lambda e: _("Must be one of: %(values)s.") % {"values": e.get("ctx", {}).get("expected", "")},
    "value_error": lambda e: str(e.get("ctx", {}).get("error", "")) or _("Invalid value."),  # our validators' text
    "datetime_parsing": lambda e: _("Must be a date and time like 2026-01-31T08:00:00+08:00."),
    "datetime_from_date_parsing": lambda e: _("Must be a date and time like 2026-01-31T08:00:00+08:00."),
    "datetime_type": lambda e: _("Must be a date and time like 2026-01-31T08:00:00+08:00."),
    "date_type": lambda e: _("Must be a date like 2026-01-31."),
    "finite_number": lambda e: _("Must be a number."),
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


class NinjaAPI(ninja.NinjaAPI):
    """django-ninja's API, with the length of a text that is too long kept for the message ("最多 2000 个字符，当前
    2500 个"): ninja drops each error's input before the handler sees it, so its length goes into ``ctx``."""

    def validation_error_from_error_contexts(self, error_contexts):
        lengths = {}
        for context in error_contexts:
            model = context.model
            for err in context.pydantic_validation_error.errors(include_url=False):
                if err.get("type") == "string_too_long" and isinstance(err.get("input"), str):
                    loc = (model.__ninja_param_source__,) + model.__ninja_flatten_map_reverse__.get(err["loc"],
                                                                                                     err["loc"])
                    lengths[tuple(loc)] = len(err["input"])
        exc = super().validation_error_from_error_contexts(error_contexts)
        for err in exc.errors:
            if (length := lengths.get(tuple(err.get("loc", ())))) is not None:
                err["ctx"] = {**err.get("ctx", {}), "length": length}
        return exc
# -- requests that cannot be read ------------------------------------------------------------------------------------
NUL = "\x00"


def nul_message() -> str:
    return _("Text may not contain the NUL character (\\x00).")


def first_nul(data, where: str = "") -> str | None:
    """The field (``parties.1.name``; ``where`` for a bare string) of the first text holding a NUL character, in a
    parsed JSON body (dicts, lists, strings), or None. A key with a NUL names itself."""
    if isinstance(data, str):
        return where or "body" if NUL in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{where}.{key}" if where else str(key)
            if NUL in str(key):
                return name.replace(NUL, "\\x00")
            if (found := first_nul(value, name)) is not None:
                return found
    elif isinstance(data, list):
        for i, value in enumerate(data):
            if (found := first_nul(value, f"{where}.{i}" if where else str(i))) is not None:
                return found
    return None


def request_refusal(exc: Exception) -> tuple[int, dict] | None:
    """(status, ErrorOut body) for Django's refusal to read a request: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too
    many fields or files, a multipart body it cannot parse; None for any other exception."""
    if isinstance(exc, RequestDataTooBig):
        mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
        return 413, {"code": "too_large", "field": "body", "message": _(
            "The body is larger than %(mb)s MB: send less at once (photos and files go in a multipart form).")
            % {"mb": f"{mb:g}"}}
    if isinstance(exc, TooManyFieldsSent):
        return 413, {"code": "too_large", "field": "body", "message": _(
            "More than %(n)s fields in one request.") % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}}
    if isinstance(exc, TooManyFilesSent):
        return 413, {"code": "too_large", "field": "body", "message": _(
            "More than %(n)s files in one request.") % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FILES}}
    if isinstance(exc, (MultiPartParserError, SuspiciousMultipartForm)):  # e.g. multipart without a boundary
        return 422, {"code": "invalid", "field": "body", "message": _(
            "The body cannot be read as a form (multipart/form-data).")}
    return None


def status_error(status: int, *, allowed: str = "") -> dict:
    """The ErrorOut body of an error answer that has no reason of its own (Django's or ninja's plain pages)."""
    if status == 405:
        return {"code": "method_not_allowed", "message": _("This address does not take this method; it takes: "
                                                           "%(allowed)s.") % {"allowed": allowed or "-"}}
    if status == 404:
        return {"code": "not_found", "message": _("No such address in the API: see /api/v1/docs.")}
    if status == 403:
        return {"code": "forbidden", "message": _("You may not do this.")}
    if status == 413:
        return {"code": "too_large", "message": _("The request is too large.")}
    if status >= 500:
        return {"code": "server_error", "message": _(
            "Something went wrong on the server; it has been logged. Try again later.")}
    return {"code": "invalid", "message": _("The request cannot be read.")}
