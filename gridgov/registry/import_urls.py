from django.urls import path

from gridgov.registry import import_views as views

app_name = "registry-import"
urlpatterns = [
    path("registry/import/", views.import_index, name="index"),
    path("registry/import/<int:job_id>/", views.job_page, name="job"),
    path("registry/import/<int:job_id>/progress/", views.job_progress, name="progress"),
    path("registry/import/<int:job_id>/errors.xlsx", views.job_errors, name="errors"),
    path("registry/import/template/<str:kind>.xlsx", views.template_download, name="template"),
    path("registry/export/<str:kind>.xlsx", views.export_download, name="export"),
]
