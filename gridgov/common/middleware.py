"""The guard in front of every view: a request the platform cannot or will not read is refused here, once, with a
clear answer — never a database error further on — and every error answer of the API has the API's error body.

Refused before any view:

- a request larger than ``GRIDGOV_MAX_REQUEST_MB`` (by its Content-Length) — 413;
- a body Django will not read: over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (JSON or form fields), more than
  ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields or ``DATA_UPLOAD_MAX_NUMBER_FILES`` files — 413; a multipart body without
  a boundary — 422;
- the NUL character (``\\x00``) anywhere in the text of a request — the address (404: no such address), a query
  parameter, a form field (or a file field's name), any string or key of a JSON body (422 naming the field).
  PostgreSQL cannot store it (a 500 without this guard), and no person types it.

Under /api/ the refusal is the API's ``ErrorOut``; on the pages it is the error page (``handler400``/``handler404``
of the web app) in the user's language. And under /api/, an error answer that is not JSON — Django's own page
(a CSRF failure at an unknown address, ``handler500``) or ninja's 405 — is turned into an ``ErrorOut`` with the same
status (and its Allow header)."""

import json

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _

from gridgov.common.api_errors import NUL, first_nul, nul_message, request_refusal, status_error

API_PREFIX = "/api/"
FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestRefused(BadRequest):
    """A request refused before any view; the web app's error page shows ``message`` with ``status``."""

    def __init__(self, message: str, *, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message, self.status, self.field = message, status, field


def _printable(name: str) -> str:
    return name.replace(NUL, "\\x00")[:100]


def _nul_refusal(field: str) -> tuple[int, dict]:
    message = nul_message()
    return 422, {"code": "invalid", "message": message, "field": field,
                 "details": [{"field": field, "message": message}]}


def _nul_in_pairs(pairs) -> str | None:
    """The first key of (key, [values]) pairs whose key or one of its values holds a NUL character."""
    for key, values in pairs:
        if NUL in key or any(NUL in str(v) for v in values):
            return _printable(key)
    return None


def check_request(request) -> tuple[int, dict] | None:
    """(status, ErrorOut body) for a request refused before any view, or None. Raises Django's own exceptions
    (``RequestDataTooBig`` …) for a body it will not read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.GRIDGOV_MAX_REQUEST_BYTES:
        return 413, {"code": "too_large", "field": "body", "message": _too_large_message()}
    if NUL in request.path:
        return 404, status_error(404)
    if (field := _nul_in_pairs(request.GET.lists())) is not None:
        return _nul_refusal(field)
    if request.method not in BODY_METHODS:
        return None
    if request.content_type in FORM_TYPES:
        if request.method != "POST":  # Django parses forms of POST only; the API's parser reads the others
            return None
        field = _nul_in_pairs(request.POST.lists())  # (Django drops unprintable characters from file names)
        if field is None:
            field = next((_printable(name) for name in request.FILES if NUL in name), None)
        return _nul_refusal(field) if field is not None else None
    body = request.body  # what the API's parser reads next (cached); RequestDataTooBig over the limit
    if b"\\u0000" in body:  # a NUL escaped in JSON (a raw NUL byte is not JSON: the parser refuses it)
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if (field := first_nul(data)) is not None:
            return _nul_refusal(field)
    return None


def _too_large_message() -> str:
    return _("The request is larger than %(mb)s MB.") % {"mb": settings.GRIDGOV_MAX_REQUEST_BYTES // 2**20}


class RequestGuardMiddleware:
    """After LocaleMiddleware (refusals speak the user's language), before anything that reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path_info.startswith(API_PREFIX)
        try:
            refusal = check_request(request)
        except Exception as exc:
            refusal = request_refusal(exc)
            if refusal is None or not api:
                raise  # not ours, or a page: the web app's handler400 answers in the user's language
        if refusal is not None:
            status, body = refusal
            if api:
                return JsonResponse(body, status=status)
            if status == 404:
                raise Http404(body["message"])
            raise RequestRefused(body["message"], status=400 if status == 422 else status, field=body.get("field"))
        response = self.get_response(request)
        if api and response.status_code >= 400 and not response.get("Content-Type", "").startswith(
                "application/json"):
            return self._error_body(response)
        return response

    @staticmethod
    def _error_body(response):
        body = status_error(response.status_code, allowed=response.get("Allow", ""))
        answer = JsonResponse(body, status=response.status_code)
        for header in ("Allow", "Retry-After"):
            if header in response:
                answer[header] = response[header]
        return answer
