"""Outbound Twilio REST (provisioning, sync, release, reconciliation, lookup) against a local fake."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from canary.phones import reconcile
from canary.phones.models import CallerInfo, CanaryNumber, Contact, NumberStatus
from canary.phones.numbers import enrich_caller

from .conftest import ACCOUNT_SID, CALLER, PUBLIC_BASE_URL, sms_params

pytestmark = pytest.mark.django_db

API = f"/api/2010-04-01/Accounts/{ACCOUNT_SID}"
WEBHOOK_FORM = {
    "SmsUrl": [PUBLIC_BASE_URL + "/hooks/twilio/sms/"],
    "SmsMethod": ["POST"],
    "VoiceUrl": [PUBLIC_BASE_URL + "/hooks/twilio/voice/"],
    "VoiceMethod": ["POST"],
    "StatusCallback": [PUBLIC_BASE_URL + "/hooks/twilio/status/"],
    "StatusCallbackMethod": ["POST"],
}


def test_provision_numbers_searches_buys_and_points_webhooks(fake_twilio, db):
    fake_twilio.route(
        "GET",
        f"{API}/AvailablePhoneNumbers/GB/Local.json",
        {"available_phone_numbers": [{"phone_number": "+447700900301"}, {"phone_number": "+447700900302"}]},
    )
    fake_twilio.route(
        "POST", f"{API}/IncomingPhoneNumbers.json", {"sid": "PN1", "phone_number": "+447700900301"}, 201
    )

    call_command("provision_numbers", "--country", "gb", "--count", "1", "--area-code", "20")

    search, buy = fake_twilio.seen
    assert (search.method, search.path) == ("GET", f"{API}/AvailablePhoneNumbers/GB/Local.json")
    assert search.query == {
        "AreaCode": ["20"],
        "SmsEnabled": ["true"],
        "VoiceEnabled": ["true"],
        "PageSize": ["1"],
    }
    assert (buy.method, buy.path) == ("POST", f"{API}/IncomingPhoneNumbers.json")
    assert buy.form == {"PhoneNumber": ["+447700900301"], **WEBHOOK_FORM}
    number = CanaryNumber.objects.get()
    assert (number.e164, number.provider, number.provider_sid) == ("+447700900301", "twilio", "PN1")


def test_sync_numbers_imports_owned_numbers_and_can_repoint_them(fake_twilio, db):
    fake_twilio.route(
        "GET",
        f"{API}/IncomingPhoneNumbers.json",
        {"incoming_phone_numbers": [{"sid": "PN7", "phone_number": "+447700900307"}]},
    )
    fake_twilio.route(
        "POST", f"{API}/IncomingPhoneNumbers/PN7.json", {"sid": "PN7", "phone_number": "+447700900307"}
    )

    call_command("sync_numbers", "--point-webhooks")
    call_command("sync_numbers")

    assert [(s.method, s.path) for s in fake_twilio.seen] == [
        ("GET", f"{API}/IncomingPhoneNumbers.json"),
        ("POST", f"{API}/IncomingPhoneNumbers/PN7.json"),
        ("GET", f"{API}/IncomingPhoneNumbers.json"),
    ]
    assert fake_twilio.seen[1].form == WEBHOOK_FORM
    assert CanaryNumber.objects.get().provider_sid == "PN7"


def test_release_numbers_releases_only_free_numbers(fake_twilio, campaign, capsys):
    free = CanaryNumber.objects.create(e164="+447700900350", provider="twilio", provider_sid="PN50")
    busy = campaign.numbers.first()
    fake_twilio.route("DELETE", f"{API}/IncomingPhoneNumbers/PN50.json", None, 204)

    with pytest.raises(Exception, match="some numbers were not released"):
        call_command("release_numbers", free.e164, busy.e164)

    assert [(s.method, s.path) for s in fake_twilio.seen] == [
        ("DELETE", f"{API}/IncomingPhoneNumbers/PN50.json")
    ]
    free.refresh_from_db()
    assert free.status == NumberStatus.RETIRED
    assert "assigned to campaign" in capsys.readouterr().err


def _message(sid: str, to: str, direction: str = "inbound") -> dict:
    return {
        "sid": sid,
        "from": CALLER,
        "to": to,
        "body": "您的包裹理赔请回电",
        "direction": direction,
        "status": "received",
        "num_media": "0",
        "date_sent": "Mon, 23 Nov 2026 02:00:00 +0000",
        "date_created": "Mon, 23 Nov 2026 02:00:00 +0000",
    }


def test_reconciliation_stores_what_no_webhook_delivered_exactly_once(fake_twilio, post_twilio, db):
    CanaryNumber.objects.create(e164="+447700900360", provider="twilio", provider_sid="PN60")
    delivered = "SM" + "d" * 32
    post_twilio("/hooks/twilio/sms/", sms_params(delivered, "+447700900360", "已送达"))
    fake_twilio.route(
        "GET",
        f"{API}/Messages.json",
        {
            "messages": [
                _message(delivered, "+447700900360"),
                _message("SM" + "m" * 32, "+447700900360"),
                _message("SM" + "o" * 32, "+447700900360", direction="outbound-api"),
            ]
        },
    )
    fake_twilio.route(
        "GET",
        f"{API}/Calls.json",
        {
            "calls": [
                {
                    "sid": "CA" + "m" * 32,
                    "from": CALLER,
                    "to": "+447700900360",
                    "direction": "inbound",
                    "status": "no-answer",
                    "duration": "0",
                    "start_time": "Mon, 23 Nov 2026 03:00:00 +0000",
                }
            ]
        },
    )
    since = timezone.now() - timedelta(hours=3)

    first = reconcile.reconcile(since)
    second = reconcile.reconcile(since)

    assert sorted(first.recovered) == ["CA" + "m" * 32, "SM" + "m" * 32]
    assert second.recovered == []
    assert Contact.objects.count() == 3
    assert set(Contact.objects.filter(source="reconciled").values_list("provider_sid", flat=True)) == {
        "CA" + "m" * 32,
        "SM" + "m" * 32,
    }
    messages = fake_twilio.requests("GET")[0]
    assert messages.path == f"{API}/Messages.json"
    assert messages.query["To"] == ["+447700900360"]
    assert messages.query["DateSent>"] == [since.strftime("%Y-%m-%dT%H:%M:%SZ")]
    calls = fake_twilio.requests("GET")[1]
    assert calls.query["StartTime>"] == [since.strftime("%Y-%m-%dT%H:%M:%SZ")]


def test_reconciliation_of_one_failing_number_does_not_stop_the_others(fake_twilio, db):
    CanaryNumber.objects.create(e164="+447700900361", provider="twilio", provider_sid="PN61")
    report = reconcile.reconcile(timezone.now() - timedelta(hours=1))
    assert report.errors and report.numbers == 0


def test_caller_lookup_is_fetched_once_and_cached(fake_twilio, post_twilio, db):
    fake_twilio.route(
        "GET",
        f"/lookups/v2/PhoneNumbers/{CALLER}",
        {
            "phone_number": CALLER,
            "country_code": "GB",
            "line_type_intelligence": {"type": "nonFixedVoip", "carrier_name": "Example VoIP"},
            "caller_name": None,
        },
    )
    post_twilio("/hooks/twilio/sms/", sms_params("SM" + "l" * 32, "+8613900139200", "a"))
    post_twilio("/hooks/twilio/sms/", sms_params("SM" + "k" * 32, "+8613900139200", "b"))

    for contact in Contact.objects.all():
        enrich_caller(contact.pk)

    assert len(fake_twilio.seen) == 1
    assert fake_twilio.seen[0].query == {"Fields": ["line_type_intelligence,caller_name"]}
    info = CallerInfo.objects.get()
    assert (info.line_type, info.carrier_name, info.country_code) == ("nonFixedVoip", "Example VoIP", "GB")


def test_list_contacts_json_gives_sid_parties_kind_time_decoys_and_strength(
    post_twilio, campaign, capsys, django_capture_on_commit_callbacks
):
    decoy = campaign.decoys.order_by("id").first()
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(
            "/hooks/twilio/sms/", sms_params("SM" + "j" * 32, decoy.number.e164, f"{decoy.waybill_no}理赔")
        )
        post_twilio("/hooks/twilio/sms/", sms_params("SM" + "i" * 32, "+8613900139299", "无关"))

    call_command("list_contacts", "--since", "2020-01-01", "--json")
    rows = {row["provider_sid"]: row for row in json.loads(capsys.readouterr().out)}

    matched = rows["SM" + "j" * 32]
    assert (matched["from"], matched["to"], matched["kind"]) == (CALLER, decoy.number.e164, "sms")
    assert matched["matched_decoys"] == [decoy.waybill_no]
    assert matched["signal_strength"] >= 0.8
    assert matched["received_at"].endswith("+08:00")
    unmatched = rows["SM" + "i" * 32]
    assert (unmatched["matched_decoys"], unmatched["signal_strength"]) == ([], None)

    call_command("list_contacts", "--since", "2999-01-01", "--json")
    assert json.loads(capsys.readouterr().out) == []
