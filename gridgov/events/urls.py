from django.urls import path

from gridgov.events import views

app_name = "events"
urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/new/", views.report_form, name="report"),
    path("cases/<int:event_id>/", views.case_detail, name="detail"),
    path("cases/photos/<int:photo_id>/<str:variant>/", views.photo_file, name="photo"),
    path("regions/<int:region_id>/notice/", views.grid_notice, name="notice"),
    path("q/thanks/", views.citizen_thanks, name="citizen-thanks"),
    path("q/track/<str:token>/", views.citizen_track, name="citizen-track"),
    path("q/track/<str:token>/photos/<int:photo_id>/<str:variant>/", views.citizen_photo, name="citizen-photo"),
    path("q/<str:code>/", views.citizen_form, name="citizen-form"),
    path("q/<str:code>/grids.geojson", views.citizen_grids, name="citizen-grids"),
    path("q/<str:code>/where/", views.citizen_where, name="citizen-where"),
]
