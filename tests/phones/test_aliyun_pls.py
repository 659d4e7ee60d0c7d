"""Alibaba Cloud number-protection receipts (JSON array push)."""

from __future__ import annotations

import json

import pytest

from canary.phones.models import Contact

pytestmark = pytest.mark.django_db

SECRET = "u5Hk2c9Zq7-receipt-path-secret"
URL = f"/hooks/aliyun/pls/{SECRET}/"


@pytest.fixture
def aliyun_env(settings):
    settings.ALIYUN_PLS_HOOK_SECRET = SECRET
    settings.ALIYUN_PLS_ALLOWED_IPS = []
    return settings


def call_record(call_id: str, **extra) -> dict:
    return {
        "id": 1001,
        "pool_key": "FC100000000000000",
        "sub_id": 2001,
        "call_id": call_id,
        "phone_no": "13900000000",
        "secret_no": "17000000001",
        "peer_no": "13800138000",
        "call_type": 1,
        "call_time": "2026-11-23 10:15:02",
        "ring_time": "2026-11-23 10:15:04",
        "start_time": "2026-11-23 10:15:09",
        "release_time": "2026-11-23 10:16:01",
        "release_cause": 16,
        "record_url": "https://pls.example.test/rec/" + call_id,
        "city": "杭州",
        **extra,
    }


def sms_record(call_id: str, text: str) -> dict:
    return {
        "call_id": call_id,
        "send_no": "13800138000",
        "secret_no": "17000000001",
        "receive_no": "13900000000",
        "sms_content": text,
        "start_time": "2026-11-23 10:20:00",
    }


def push(client, records, url=URL, **headers):
    return client.post(
        url, json.dumps(records, ensure_ascii=False), content_type="application/json", **headers
    )


def test_receipt_array_with_a_duplicate_is_acknowledged_and_stored_once(client, aliyun_env):
    records = [call_record("c-1"), sms_record("s-1", "您的快递已丢失，请回电理赔"), call_record("c-1")]
    response = push(client, records)

    assert response.status_code == 200
    assert json.loads(response.content) == {"code": 0, "msg": "接收成功"}
    assert Contact.objects.count() == 2
    call = Contact.objects.get(kind="call")
    assert (call.from_number, call.to_number, call.provider) == (
        "+8613800138000",
        "+8617000000001",
        "aliyun_pls",
    )
    assert call.received_at.isoformat() == "2026-11-23T02:15:09+00:00"
    assert call.recording_url.endswith("c-1")
    assert Contact.objects.get(kind="sms").body == "您的快递已丢失，请回电理赔"


def test_a_repeated_push_stores_nothing_new(client, aliyun_env):
    push(client, [call_record("c-1"), sms_record("s-1", "hi")])
    again = push(client, [call_record("c-1"), sms_record("s-1", "hi"), call_record("c-2")])
    assert again.status_code == 200
    assert sorted(Contact.objects.values_list("provider_sid", flat=True)) == [
        "aliyun:c-1:call",
        "aliyun:c-2:call",
        "aliyun:s-1:sms",
    ]


def test_wrong_path_secret_is_not_found_and_stores_nothing(client, aliyun_env):
    response = push(client, [call_record("c-1")], url="/hooks/aliyun/pls/guessed/")
    assert response.status_code == 404
    assert not Contact.objects.exists()


def test_hook_is_closed_when_no_secret_is_configured(client, settings):
    settings.ALIYUN_PLS_HOOK_SECRET = ""
    assert push(client, [call_record("c-1")], url="/hooks/aliyun/pls/x/").status_code == 404


def test_source_outside_the_allow_list_is_refused(client, aliyun_env):
    aliyun_env.ALIYUN_PLS_ALLOWED_IPS = ["106.11.0.0/16"]
    assert push(client, [call_record("c-1")]).status_code == 403
    assert push(client, [call_record("c-1")], REMOTE_ADDR="106.11.34.2").status_code == 200
    assert Contact.objects.count() == 1


def test_broken_json_is_refused_with_a_clear_answer(client, aliyun_env):
    response = client.post(URL, "not json", content_type="application/json")
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == 1
