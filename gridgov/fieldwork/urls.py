from django.urls import path

from gridgov.fieldwork import views

app_name = "fieldwork"
urlpatterns = [
    path("patrols/", views.day_list, name="days"),
    path("patrols/record/", views.record, name="record"),
    path("patrols/schedule/", views.schedule, name="schedule"),
    path("patrols/replay/<int:worker_id>/<str:day>/", views.replay, name="replay"),
    path("anomalies/", views.anomaly_list, name="anomalies"),
    path("anomalies/<int:anomaly_id>/", views.anomaly_detail, name="anomaly"),
]
