from django.urls import path
from django.views.i18n import JavaScriptCatalog

from gridgov.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.map_view, name="map"),
    path("regions/", views.region_list, name="regions"),
    path("regions/<int:region_id>/", views.region_detail, name="region"),
    path("grids/validation/", views.validation, name="validation"),
    path("grids/<str:code>/registry/", views.grid_registry, name="grid-registry"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["gridgov.web"]), name="jsi18n"),
]
