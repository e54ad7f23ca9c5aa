from django.urls import path

from gridgov.registry import views

app_name = "registry"
urlpatterns = [
    path("registry/", views.search, name="search"),
    path("registry/coverage/", views.coverage_page, name="coverage"),
    path("registry/people/new/", views.person_form, name="person-new"),
    path("registry/people/<int:person_id>/", views.person_detail, name="person"),
    path("registry/people/<int:person_id>/edit/", views.person_form, name="person-edit"),
    path("registry/people/<int:person_id>/reveal/", views.person_reveal, name="person-reveal"),
    path("registry/houses/new/", views.record_form, {"kind": "house"}, name="house-new"),
    path("registry/houses/<int:obj_id>/", views.record_detail, {"kind": "house"}, name="house"),
    path("registry/houses/<int:obj_id>/edit/", views.record_form, {"kind": "house"}, name="house-edit"),
    path("registry/households/new/", views.record_form, {"kind": "household"}, name="household-new"),
    path("registry/households/<int:obj_id>/", views.record_detail, {"kind": "household"}, name="household"),
    path("registry/households/<int:obj_id>/edit/", views.record_form, {"kind": "household"}, name="household-edit"),
    path("registry/units/new/", views.record_form, {"kind": "unit"}, name="unit-new"),
    path("registry/units/<int:obj_id>/", views.record_detail, {"kind": "unit"}, name="unit"),
    path("registry/units/<int:obj_id>/edit/", views.record_form, {"kind": "unit"}, name="unit-edit"),
    path("registry/organisations/new/", views.record_form, {"kind": "organisation"}, name="organisation-new"),
    path("registry/organisations/<int:obj_id>/", views.record_detail, {"kind": "organisation"},
         name="organisation"),
    path("registry/organisations/<int:obj_id>/edit/", views.record_form, {"kind": "organisation"},
         name="organisation-edit"),
]
