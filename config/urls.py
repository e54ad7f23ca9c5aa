from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from gridgov.api import api

admin.site.site_header = "gridgov 网格化服务管理平台"
admin.site.site_title = "gridgov"
admin.site.index_title = "基础数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("gridgov.accounts.urls")),
    path("", include("gridgov.web.urls")),
]
if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
