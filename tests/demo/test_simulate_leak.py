"""The demo story end to end: an insider at one depot leaks, the console finds it and alerts.

The console is a live server on loopback; the SMS are signed with the configured token exactly as
Twilio signs them; the forum is the demo's own loopback page, fetched by a watched source.
"""

import io
import socket

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from canary.alerts.models import Alert, AlertStatus
from canary.demo import staging
from canary.phones.models import Contact
from canary.sightings.models import Sighting, Source

SLUG = "demo-depots"
TOKEN = "demo-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo(transactional_db, live_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PUBLIC_BASE_URL = live_server.url
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.ATTRIBUTION_PLAN_WORLDS = 10
    call_command("load_demo", stdout=io.StringIO())
    return live_server


def play(node: str, *args: str) -> str:
    out = io.StringIO()
    call_command(
        "simulate_leak",
        "--campaign",
        SLUG,
        "--node",
        node,
        "--forum-port",
        str(free_port()),
        *args,
        stdout=out,
    )
    return out.getvalue()


def test_the_leaking_depot_is_ranked_first_and_an_alert_is_sent(demo):
    text = play("D-HZ-XH", "--sms", "2", "--dump", "3", "--timeout", "60")

    assert "leaking node found: D-HZ-XH 杭州西湖网点 ranked first" in text
    assert Contact.objects.filter(provider_sid__startswith="SMdemo").count() == 2
    assert Sighting.objects.filter(decoy__target__code="D-HZ-XH").exists()
    assert Source.objects.get(name=staging.SOURCE).last_status
    sent = Alert.objects.filter(
        channel__name=staging.CHANNEL, incident__node__code="D-HZ-XH", status=AlertStatus.SENT
    )
    assert sent.exists()
    assert all(m.to == [staging.CHANNEL_ADDRESS] for m in mail.outbox)
    assert any("D-HZ-XH" in m.body for m in mail.outbox)  # the alert names the depot


def test_a_trainer_can_play_another_node_after_the_first(demo):
    play("D-HZ-XH", "--timeout", "60")

    text = play("D-GZ-TH", "--timeout", "60")

    assert "leaking node found: D-GZ-TH 广州天河网点" in text


def test_a_dump_alone_is_enough(demo):
    text = play("D-SZ-NS", "--sms", "0", "--dump", "3", "--timeout", "60")

    assert "leaking node found: D-SZ-NS" in text
    assert not Contact.objects.exists()


def test_a_console_verifying_with_another_token_refuses_the_sms_and_says_why(demo, settings):
    staging.token_path().write_text("another-token")
    settings.TWILIO_AUTH_TOKEN = ""

    with pytest.raises(CommandError, match="HTTP 403"):
        play("D-HZ-XH", "--timeout", "5")


def test_an_unknown_node_is_a_clear_error(demo):
    with pytest.raises(CommandError, match="no node with code 'NOPE'"):
        play("NOPE")


def test_progress_before_any_ranking_is_not_found_yet_even_with_an_incident(db, settings):
    """With the real worker the command looks before attribution has run: nothing found, no error."""
    from datetime import timedelta

    from django.utils import timezone

    from canary.alerts.models import Incident
    from canary.demo import leak

    call_command("load_demo", stdout=io.StringIO())
    played = leak.plan(SLUG, "D-HZ-XH", 2)
    Incident.objects.create(
        campaign=played.campaign, node=played.node, title="earlier", last_activity_at=timezone.now()
    )

    now = leak.progress(played, timezone.now() - timedelta(minutes=1), [])

    assert (now.found, now.alerts_sent, now.incident is not None) == (False, 0, True)
