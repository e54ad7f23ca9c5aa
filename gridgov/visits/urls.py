from django.urls import path

from gridgov.visits import views

app_name = "visits"
urlpatterns = [
    path("visits/", views.visit_log, name="log"),
    path("visits/new/", views.visit_form, name="new"),
    path("visits/targets/", views.target_search, name="targets"),
    path("visits/overdue/", views.overdue, name="overdue"),
    path("visits/<int:visit_id>/", views.visit_detail, name="detail"),
    path("visits/photos/<int:photo_id>/<str:variant>/", views.photo_file, name="photo"),
]
