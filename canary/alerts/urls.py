from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.incident_list, name="incidents"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("casefiles/<int:pk>/", views.case_file_progress, name="casefile"),
    path("casefiles/<int:pk>/download/", views.case_file_download, name="casefile-download"),
    path("channels/", views.channel_list, name="channels"),
    path("channels/<int:pk>/test/", views.channel_test, name="channel-test"),
    path("channels/<int:pk>/enable/", views.channel_enable, name="channel-enable"),
    path("twilio/status/<int:alert_id>/", views.twilio_status, name="twilio-status"),
]
