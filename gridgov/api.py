"""The HTTP API under /api/v1/: one NinjaAPI, routers from each app, errors in one clear shape.

Every refused request answers with ``gridgov.common.api_errors.ErrorOut`` ({code, message, field?, details?}); every
operation declares it for its usual 4xx answers with ``gridgov.common.api_errors.responses``."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, SuspiciousMultipartForm, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from gridgov.common.api_errors import NinjaAPI, document_request_refusals, pydantic_error_details, request_refusal
from gridgov.common.errors import DomainError


class GridgovAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The operations' own answers, and what any of them may answer for a request that cannot be read (413,
        422) or an address too long for the web server (414)."""
        return document_request_refusals(super().get_openapi_schema(path_prefix=path_prefix,
                                                                    path_params=path_params))


api = GridgovAPI(
    title="gridgov API",
    version="1",
    description="网格化服务管理平台 API。会话登录（浏览器）后调用；写操作需 CSRF 令牌。",
    auth=django_auth,
    urls_namespace="api",
    docs_decorator=login_required,
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousMultipartForm)
def _unreadable(request, exc):
    """A body Django will not read (the middleware reads POST bodies first; this is for PUT and PATCH forms)."""
    status, body = request_refusal(exc)
    return api.create_response(request, body, status=status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    details = pydantic_error_details(exc.errors)
    body = {"code": "invalid", "message": _("The request has invalid fields."), "details": details}
    if details:
        body["field"] = details[0]["field"]
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return api.create_response(request, {"code": "unauthenticated", "message": _("Please log in first.")},
                               status=401)


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    wait = int(exc.wait or 0) + (1 if exc.wait and exc.wait % 1 else 0)
    response = api.create_response(request, {
        "code": "rate_limited",
        "message": _("Too many requests: try again in %(seconds)d seconds.") % {"seconds": max(wait, 1)}},
        status=429)
    if exc.wait is not None:
        response["Retry-After"] = str(max(wait, 1))
    return response


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 403 and str(exc) == "CSRF check Failed":  # django-ninja's session auth
        body = {"code": "csrf_failed", "message": _("The CSRF check failed: reload the page and try again.")}
    elif exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):  # malformed JSON
        body = {"code": "invalid", "message": _("The body is not valid JSON."), "field": "body"}
        return api.create_response(request, body, status=422)
    else:
        body = {"code": _HTTP_CODES.get(exc.status_code, "error"), "message": str(exc)}
    return api.create_response(request, body, status=exc.status_code)


_HTTP_CODES = {400: "invalid", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


@csrf_exempt  # an unknown address is a 404 whatever the method, not Django's CSRF page
def not_found(request):
    """Any other path under /api/v1/ (an unknown address, or an id that cannot be one, such as -1): the same
    JSON body as every other refusal, not the HTML page."""
    return JsonResponse({"code": "not_found", "message": _("No such address in the API: see /api/v1/docs.")},
                        status=404)


from gridgov.accounts import selectors as accounts_selectors  # noqa: E402
from gridgov.accounts.api import router as accounts_router  # noqa: E402
from gridgov.disputes.api import router as disputes_router  # noqa: E402
from gridgov.events.api import router as events_router  # noqa: E402
from gridgov.events.hotline import router as hotline_router  # noqa: E402
from gridgov.events.indicators_api import router as indicators_router  # noqa: E402
from gridgov.fieldwork.api import router as fieldwork_router  # noqa: E402
from gridgov.regions import api as regions_api  # noqa: E402
from gridgov.regions.api import router as regions_router  # noqa: E402
from gridgov.registry.api import router as registry_router  # noqa: E402
from gridgov.visits.api import router as visits_router  # noqa: E402

# The territory sits below the accounts: the region answer gets its people responsible from the accounts app here.
regions_api.region_responsible = accounts_selectors.region_responsible
api.add_router("", regions_router)
api.add_router("", accounts_router)
api.add_router("", events_router)
api.add_router("", hotline_router)
api.add_router("", indicators_router)
api.add_router("", fieldwork_router)
api.add_router("", registry_router)
api.add_router("", visits_router)
api.add_router("", disputes_router)
api.add_router("", "gridgov.registry.import_api.router")
