from django.urls import path

from gridgov.disputes import views

app_name = "disputes"
urlpatterns = [
    path("disputes/", views.dispute_list, name="list"),
    path("disputes/new/", views.dispute_new, name="new"),
    path("disputes/stats/", views.dispute_stats, name="stats"),
    path("disputes/<int:dispute_id>/", views.dispute_detail, name="detail"),
    path("disputes/<int:dispute_id>/act/", views.dispute_act, name="act"),
]
