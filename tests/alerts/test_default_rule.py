"""Alerts on by default: ``add_channel``, the default rule until the team writes one, the banner."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from canary.alerts.models import Alert, AlertStatus, Channel, EventKind, Rule

from ..conftest import security_user

pytestmark = pytest.mark.django_db


def add_channel(*args: str) -> str:
    out = StringIO()
    call_command("add_channel", *args, stdout=out)
    return out.getvalue().strip()


def test_add_channel_prints_the_id_and_a_strong_signal_reaches_it_with_no_rule_written(
    receiver, strong_signal
):
    channel_id = add_channel(
        "--kind", "webhook", "--name", "值班", "--url", receiver.url + "/hook", "--secret", "s"
    )

    strong_signal()

    channel = Channel.objects.get(pk=int(channel_id))
    assert channel.kind == "webhook" and channel.secret == "s" and channel.team.name
    # The incident the signal opened is told at once; the signal's own alert is held by the
    # per-incident throttle and counted into the next digest.
    (told,) = receiver.requests
    assert told.json()["event"] == EventKind.INCIDENT_OPENED
    assert (
        told.json()["signal"]["summary"] == "短信提到收件人姓名"
        and "短信提到收件人姓名" in told.json()["text"]
    )
    held = Alert.objects.get(channel=channel, event__kind=EventKind.STRONG_SIGNAL)
    assert held.status == AlertStatus.HELD and held.rule is None


def test_add_channel_takes_addresses_for_email_and_sms():
    email = Channel.objects.get(
        pk=add_channel("--kind", "email", "--name", "邮件", "--to", "a@example.com; b@example.com")
    )
    sms = Channel.objects.get(pk=add_channel("--kind", "sms", "--name", "短信", "--to", "+8613800138000"))

    assert email.target == "a@example.com, b@example.com" and sms.target == "+8613800138000"


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["--kind", "webhook", "--name", "x", "--url", "https://example.com/h"], "--secret"),
        (["--kind", "slack", "--name", "x", "--url", "ftp://example.com/h"], "--url"),
        (["--kind", "email", "--name", "x", "--to", "not-an-address"], "邮件地址"),
        (["--kind", "sms", "--name", "x", "--to", "13800138000"], "E.164"),
    ],
)
def test_add_channel_refuses_incomplete_arguments_with_a_clear_error(args, complaint):
    with pytest.raises(CommandError, match=complaint):
        call_command("add_channel", *args, stdout=StringIO())
    assert not Channel.objects.exists()


def test_default_rule_leaves_weak_signals_and_inactive_campaigns_alone(
    receiver, make_channel, strong_signal, campaign
):
    make_channel("webhook", receiver.url, secret="k")

    strong_signal(strength=0.2)
    campaign.status = "ended"
    campaign.save(update_fields=["status"])
    strong_signal()

    assert [r.json()["event"] for r in receiver.requests] == [EventKind.INCIDENT_OPENED]


def test_the_first_rule_the_team_writes_replaces_the_default(
    receiver, make_channel, make_rule, strong_signal
):
    make_channel("webhook", receiver.url, secret="k")
    make_rule(name="off for now", enabled=False)

    strong_signal()

    assert receiver.requests == [] and not Alert.objects.exists()


@pytest.fixture
def analyst_client(client):
    client.force_login(security_user("analyst"))
    return client


BANNER = 'id="no-alert-channel"'


def test_console_warns_while_no_enabled_channel_would_hear_of_an_incident(
    analyst_client, make_channel, make_rule
):
    assert BANNER in analyst_client.get("/").content.decode()

    channel = make_channel("webhook", "https://example.com/h", secret="k")
    assert BANNER not in analyst_client.get("/").content.decode()

    make_rule(channel, events=[EventKind.WATCHER_UNHEALTHY])  # the team's rule says nothing of incidents
    page = analyst_client.get("/").content.decode()
    assert BANNER in page and "没有任何" in page

    Rule.objects.update(events=[EventKind.INCIDENT_OPENED])
    assert BANNER not in analyst_client.get("/").content.decode()
