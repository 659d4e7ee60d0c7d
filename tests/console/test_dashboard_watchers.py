"""Watcher health on the dashboard: each SIM gateway's last ping and whether it went silent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from canary.audit.roles import SECURITY_ANALYST, VIEWER
from canary.phones.gateways import register_number
from canary.phones.models import SmsGateway
from tests.conftest import TEST_NUMBERS, security_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateways():
    now = timezone.now()
    alive, _ = register_number(TEST_NUMBERS[50], "pixel-shenzhen", 1)
    quiet, _ = register_number(TEST_NUMBERS[51], "redmi-hangzhou", 2)
    long_ago = now - timedelta(hours=5)
    SmsGateway.objects.filter(device_id="pixel-shenzhen").update(last_ping_at=now, last_seen_at=now)
    SmsGateway.objects.filter(device_id="redmi-hangzhou").update(
        last_ping_at=long_ago, last_seen_at=long_ago, created_at=long_ago
    )
    return alive, quiet


def gateway_rows(page: str) -> dict[str, str]:
    rows = [row.split("</tr>")[0] for row in page.split('<tr class="gateway">')[1:]]
    return {device: row for row in rows for device in ("pixel-shenzhen", "redmi-hangzhou") if device in row}


def test_each_gateway_shows_its_last_ping_and_a_silent_one_is_flagged(client, gateways):
    alive, quiet = gateways
    client.force_login(security_user("analyst", SECURITY_ANALYST))

    page = client.get("/").content.decode()

    rows = gateway_rows(page)
    shanghai = timezone.localtime(SmsGateway.objects.get(device_id="redmi-hangzhou").last_ping_at)
    assert shanghai.strftime("%Y-%m-%d %H:%M") in rows["redmi-hangzhou"] and "静默" in rows["redmi-hangzhou"]
    assert "准时" in rows["pixel-shenzhen"] and "静默" not in rows["pixel-shenzhen"]
    assert alive.e164 in rows["pixel-shenzhen"] and quiet.e164 in rows["redmi-hangzhou"]
    assert 'data-warning="gateway_silent"' in page


def test_a_viewer_sees_gateway_health_but_not_the_canary_numbers(client, gateways):
    alive, quiet = gateways
    client.force_login(security_user("viewer", VIEWER))

    page = client.get("/").content.decode()

    assert set(gateway_rows(page)) == {"pixel-shenzhen", "redmi-hangzhou"}
    assert alive.e164 not in page and quiet.e164 not in page


def test_no_silence_warning_while_every_gateway_pings(client, gateways):
    SmsGateway.objects.update(last_seen_at=timezone.now())
    client.force_login(security_user("analyst", SECURITY_ANALYST))

    assert 'data-warning="gateway_silent"' not in client.get("/").content.decode()
