from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from gridgov.api import api, not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", not_found),  # the JSON 404 of the API, not the HTML page
    path("i18n/", include("django.conf.urls.i18n")),
    path("open311/v2/", include("gridgov.open311.urls")),
    path("", include("gridgov.accounts.urls")),
    path("", include("gridgov.events.urls")),
    path("", include("gridgov.registry.urls")),
    path("", include("gridgov.registry.import_urls")),
    path("", include("gridgov.fieldwork.urls")),
    path("", include("gridgov.visits.urls")),
    path("", include("gridgov.disputes.urls")),
    path("", include("gridgov.web.urls")),
]
if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# The pages' error pages in the user's language (under /api/ the answer becomes the API's JSON error body:
# gridgov.common.middleware.RequestGuardMiddleware).
handler400 = "gridgov.web.views.bad_request"
handler403 = "gridgov.web.views.permission_denied"
handler404 = "gridgov.web.views.page_not_found"
handler500 = "gridgov.web.views.server_error"
