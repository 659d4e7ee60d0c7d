"""Chinese call text and recordings from Alibaba number protection, in whichever order they come."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from canary.phones.models import Contact, NumberAssignment

from .fakes import FakeHttpService
from .test_aliyun_pls import call_record, push
from .test_aliyun_provider import action_of, params_of

pytestmark = pytest.mark.django_db

SECRET = "asr-receipt-path-secret"
URL = f"/hooks/aliyun/pls/{SECRET}/"
RECORDING_URL = "https://pls-record.example.test/C-500.mp3?sig=1"


@pytest.fixture
def aliyun_env(settings):
    settings.ALIYUN_PLS_HOOK_SECRET = SECRET
    settings.ALIYUN_PLS_ALLOWED_IPS = []
    return settings


@pytest.fixture
def post(client, aliyun_env, django_capture_on_commit_callbacks):
    def send(*records):
        with django_capture_on_commit_callbacks(execute=True):
            response = push(client, list(records), url=URL)
        assert response.status_code == 200 and response.json()["code"] == 0
        return response

    return send


@pytest.fixture
def decoy(campaign):
    # The campaign has held its numbers for a month: the receipts' calls belong to it.
    NumberAssignment.objects.filter(campaign=campaign).update(assigned_at=timezone.now() - timedelta(days=30))
    return campaign.decoys.filter(is_control=False).select_related("number").first()


@pytest.fixture
def fake_aliyun_api(settings):
    """Alibaba's RPC API on loopback, answering QueryRecordFileDownloadUrl."""
    service = FakeHttpService()
    service.route(
        "POST",
        "/",
        lambda seen: {"RequestId": "R2", "Code": "OK", "Message": "OK", "DownloadUrl": RECORDING_URL},
    )
    settings.ALIYUN_PLS_API_URL = service.start()
    settings.ALIYUN_ACCESS_KEY_ID = "test-key-id"
    settings.ALIYUN_ACCESS_KEY_SECRET = "test-key-secret"
    settings.ALIYUN_PLS_POOL_KEY = "FC100000000000000"
    yield service
    service.stop()


def asr_report(call_id: str, secret_no: str, *texts: str, status: str = "21050000") -> dict:
    return {
        "callId": call_id,
        "bizDuration": 9140,
        "secretNo": secret_no,
        "partnerKey": "FC100000000000000",
        "statusCode": status,
        # Sentences come per channel, not in spoken order: the transcript sorts them by time.
        "sentences": [
            {"beginTime": 640 + 1000 * i, "endTime": 1500 + 1000 * i, "channelId": i % 2, "text": text}
            for i, text in reversed(list(enumerate(texts)))
        ],
    }


def call_to(decoy, call_id: str) -> dict:
    record = call_record(call_id, secret_no=decoy.number.e164.removeprefix("+86"))
    record.pop("record_url")
    return record


def naming(decoy) -> tuple[str, str]:
    return "喂，你好。", f"请问是{decoy.recipient_name}吗？您的快递{decoy.waybill_no}丢了，我们双倍赔偿。"


def test_an_asr_receipt_after_the_call_record_names_the_decoy_strongly(post, decoy):
    post(call_to(decoy, "C-100"))
    assert Contact.objects.get().signal_strength < 0.8  # a bare call
    post(asr_report("C-100", decoy.number.e164.removeprefix("+86"), *naming(decoy)))
    contact = Contact.objects.get()
    assert contact.transcript == "\n".join(naming(decoy))
    assert contact.signal_strength >= 0.8
    assert decoy in contact.matched_decoys.all()


def test_an_asr_receipt_before_the_call_record_is_kept_and_the_call_fills_in(post, decoy):
    post(asr_report("C-200", "170****0000", *naming(decoy)))
    early = Contact.objects.get()
    assert early.transcript and early.signal_strength >= 0.8 and decoy in early.matched_decoys.all()
    post(call_to(decoy, "C-200"))
    contact = Contact.objects.get()
    assert (contact.from_number, contact.to_number) == ("+8613800138000", decoy.number.e164)
    assert contact.transcript == early.transcript and contact.signal_strength >= 0.8
    assert set(contact.raw) >= {"aliyun", "asr"}


def test_a_repeated_asr_receipt_changes_nothing(post, decoy):
    post(call_to(decoy, "C-300"), asr_report("C-300", "", *naming(decoy)))
    first = Contact.objects.get()
    post(asr_report("C-300", "", *naming(decoy)))
    again = Contact.objects.get()
    assert (again.transcript, again.processed_at) == (first.transcript, first.processed_at)


def test_a_failed_recognition_attaches_no_text(post, decoy):
    post(call_to(decoy, "C-400"), asr_report("C-400", "", "乱码", status="21059999"))
    contact = Contact.objects.get()
    assert contact.transcript == "" and contact.transcript_status == "asr:21059999"


def test_a_recording_receipt_stores_the_recordings_address(post, decoy, fake_aliyun_api):
    post(call_to(decoy, "C-500"))
    post({"pool_key": "FC100000000000000", "call_time": 1796000000000, "sub_id": 2001, "call_id": "C-500"})
    contact = Contact.objects.get()
    assert contact.recording_url == RECORDING_URL
    [request] = fake_aliyun_api.seen
    assert action_of(request) == "QueryRecordFileDownloadUrl"
    assert params_of(request)["CallId"] == "C-500"
    assert params_of(request)["CallTime"] == "2026-11-30 08:53:20"  # Beijing time of the receipt's ms
