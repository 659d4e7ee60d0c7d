from django.urls import path

from . import hooks

app_name = "alert_hooks"
urlpatterns = [
    path("twilio/status/<int:alert_id>/", hooks.twilio_status, name="twilio-status"),
]
