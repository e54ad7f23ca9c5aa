"""Domain errors raised by services and selectors; the API and views turn them into clear answers. Also the one
wording of a text over its limit (``too_long``, ``check_length``): refused with both numbers, never cut."""

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A refused request. ``message`` is user-facing (translated); ``field`` names the input at fault."""

    status = 400

    def __init__(self, message, *, field: str | None = None, code: str = "invalid", details=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code
        self.details = details or []

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": str(self.message)}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404

    def __init__(self, message, **kw):
        kw.setdefault("code", "not_found")
        super().__init__(message, **kw)


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message, **kw):
        kw.setdefault("code", "forbidden")
        super().__init__(message, **kw)


class Conflict(DomainError):
    status = 409

    def __init__(self, message, **kw):
        kw.setdefault("code", "conflict")
        super().__init__(message, **kw)


def too_long(limit: int, count: int) -> str:
    """"最多 2000 个字符，当前 2500 个。" — the same words as Django's max_length message in our catalogue and the
    API's string_too_long (``api_errors``)."""
    return _("At most %(limit)d characters; this has %(count)d.") % {"limit": limit, "count": count}


def check_length(value: str, limit: int, field: str) -> str:
    """``value`` if it fits in ``limit`` characters, else ``ValidationFailed`` on ``field`` with both numbers."""
    if len(value) > limit:
        raise ValidationFailed(too_long(limit, len(value)), field=field)
    return value
