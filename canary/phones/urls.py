from django.urls import path

from . import views

app_name = "phones"
urlpatterns = [
    path("twilio/sms/", views.twilio_sms, name="twilio-sms"),
    path("twilio/voice/", views.twilio_voice, name="twilio-voice"),
    path("twilio/voice/done/", views.twilio_voice_done, name="twilio-voice-done"),
    path("twilio/recording/", views.twilio_recording, name="twilio-recording"),
    path("twilio/transcription/", views.twilio_transcription, name="twilio-transcription"),
    path("twilio/status/", views.twilio_status, name="twilio-status"),
    path("aliyun/pls/<str:secret>/", views.aliyun_pls, name="aliyun-pls"),
    path("tracking/", views.tracking_lookup, name="tracking"),
    path("smsgate/", views.smsgate_event, name="smsgate"),
]
