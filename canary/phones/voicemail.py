"""TwiML for a call to a canary number: a believable Chinese voicemail greeting, then a recording."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from twilio.twiml.voice_response import VoiceResponse

# Sounds like any mobile voicemail; nothing hints that the line is watched.
DEFAULT_GREETING = (
    "您好，机主暂时无法接听您的电话。请在提示音后留言，说明您的姓名和来电事由，我们会尽快回电。谢谢。"
)


def _absolute(name: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse(name)


def greeting_twiml() -> str:
    response = VoiceResponse()
    greeting_url = getattr(settings, "PHONES_VOICEMAIL_GREETING_URL", "")
    if greeting_url:
        response.play(greeting_url)
    else:
        response.say(
            getattr(settings, "PHONES_VOICEMAIL_GREETING", "") or DEFAULT_GREETING,
            language="zh-CN",
            voice=getattr(settings, "PHONES_VOICEMAIL_VOICE", "alice"),
        )
    response.record(
        action=_absolute("phones:twilio-voice-done"),
        method="POST",
        timeout=5,
        max_length=180,
        play_beep=True,
        trim="trim-silence",
        recording_status_callback=_absolute("phones:twilio-recording"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
        transcribe=True,
        transcribe_callback=_absolute("phones:twilio-transcription"),
    )
    response.hangup()
    return str(response)


def hangup_twiml() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
