"""Alibaba number protection through its official SDK, against a local fake of its RPC API."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from canary.phones.models import CanaryNumber, NumberStatus

from .fakes import FakeHttpService

pytestmark = pytest.mark.django_db

ANSWERS = {
    "BuySecretNo": {"Code": "OK", "Message": "OK", "SecretBuyInfoDTO": {"SecretNo": "17000000001"}},
    "BindAxn": {
        "Code": "OK",
        "Message": "OK",
        "SecretBindDTO": {"SecretNo": "17000000001", "SubsId": "S-42"},
    },
    "UnbindSubscription": {"Code": "OK", "Message": "OK"},
    "ReleaseSecretNo": {"Code": "OK", "Message": "OK"},
}


def action_of(seen) -> str:
    return seen.headers["x-acs-action"]


def params_of(seen) -> dict[str, str]:
    merged = {**seen.query, **seen.form}
    return {key: values[0] for key, values in merged.items()}


@pytest.fixture
def fake_aliyun(settings):
    service = FakeHttpService()
    service.route("POST", "/", lambda seen: {"RequestId": "R1", **ANSWERS[action_of(seen)]})
    settings.ALIYUN_PLS_API_URL = service.start()
    settings.ALIYUN_ACCESS_KEY_ID = "test-key-id"
    settings.ALIYUN_ACCESS_KEY_SECRET = "test-key-secret"
    settings.ALIYUN_PLS_POOL_KEY = "FC100000000000000"
    settings.ALIYUN_PLS_TEAM_PHONE = "13900000000"
    yield service
    service.stop()


def test_provisioning_buys_an_x_number_and_binds_it_to_the_team_phone(fake_aliyun):
    call_command(
        "provision_numbers",
        "--provider",
        "aliyun_pls",
        "--country",
        "CN",
        "--count",
        "1",
        "--area-code",
        "杭州",
    )

    buy, bind = fake_aliyun.seen
    assert action_of(buy) == "BuySecretNo"
    assert {k: params_of(buy)[k] for k in ("PoolKey", "City", "SpecId")} == {
        "PoolKey": "FC100000000000000",
        "City": "杭州",
        "SpecId": "2",
    }
    assert action_of(bind) == "BindAxn"
    bind_params = params_of(bind)
    assert (bind_params["PhoneNoA"], bind_params["PhoneNoX"], bind_params["IsRecordingEnabled"]) == (
        "13900000000",
        "17000000001",
        "True",  # as the SDK spells booleans
    )
    assert bind.headers["Authorization"].startswith("ACS3-HMAC-SHA256 Credential=test-key-id,")
    number = CanaryNumber.objects.get()
    assert (number.e164, number.provider, number.provider_sid) == ("+8617000000001", "aliyun_pls", "S-42")


def test_release_unbinds_then_gives_the_number_back(fake_aliyun):
    CanaryNumber.objects.create(e164="+8617000000001", provider="aliyun_pls", provider_sid="S-42")
    call_command("release_numbers", "+8617000000001")
    assert [action_of(s) for s in fake_aliyun.seen] == ["UnbindSubscription", "ReleaseSecretNo"]
    assert params_of(fake_aliyun.seen[0])["SubsId"] == "S-42"
    assert CanaryNumber.objects.get().status == NumberStatus.RETIRED


def test_a_refusal_from_alibaba_is_reported_and_nothing_is_added(fake_aliyun):
    fake_aliyun.route(
        "POST", "/", {"RequestId": "R2", "Code": "isv.NO_AVAILABLE_NUMBER", "Message": "无可用号码"}
    )
    with pytest.raises(Exception, match="NO_AVAILABLE_NUMBER"):
        call_command("provision_numbers", "--provider", "aliyun_pls", "--country", "CN", "--count", "1")
    assert not CanaryNumber.objects.exists()
