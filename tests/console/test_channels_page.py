"""Alert channels and rules in the console: create with checked targets, send a test to a
local receiver, enable and disable; all audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from canary.alerts.models import Alert, AlertStatus, Channel, Rule, Team
from canary.audit.models import AuditEvent
from tests.alerts import conftest as alert_fixtures

pytestmark = pytest.mark.django_db(transaction=True)
receiver = alert_fixtures.receiver  # the local webhook receiver of the alert tests


@pytest.fixture
def team(db):
    return Team.objects.create(name="安全组")


def channel_form(team, kind: str, target: str) -> dict:
    return {"team": team.pk, "name": "值班", "kind": kind, "target": target, "enabled": "on"}


def test_a_webhook_channel_is_created_and_its_test_reaches_the_receiver(analyst, team, receiver, settings):
    settings.ALLOW_LOOPBACK_TARGETS = True
    form = channel_form(team, "webhook", receiver.url + "/hook")
    assert "签名密钥" in analyst.post(reverse("alerts:channel-add"), form).content.decode()
    analyst.post(reverse("alerts:channel-add"), form | {"secret": "s3cret"})
    channel = Channel.objects.get()

    analyst.post(reverse("alerts:channel-test", args=[channel.pk]))

    assert receiver.arrived.wait(10)
    assert receiver.requests[0].path == "/hook"
    assert Alert.objects.get(channel=channel).status == AlertStatus.SENT
    assert {"channel.save", "channel.test"} <= set(AuditEvent.objects.values_list("action", flat=True))


@pytest.mark.parametrize(
    ("kind", "target", "error"),
    [
        ("webhook", "http://127.0.0.1:9/hook", "不能使用此网址"),
        ("webhook", "file:///etc/passwd", "不能使用此网址"),
        ("sms", "not a number", "手机号码"),
        ("email", "ops@example.com, nonsense", "电子邮件地址"),
    ],
)
def test_a_bad_target_is_refused_in_chinese(analyst, team, kind, target, error):
    response = analyst.post(reverse("alerts:channel-add"), channel_form(team, kind, target))

    assert error in response.content.decode()
    assert not Channel.objects.exists()


def test_a_rule_is_created_with_its_events_and_quiet_hours_must_be_whole(analyst, team):
    channel = Channel.objects.create(team=team, name="值班", kind="email", target="ops@example.com")
    form = {"name": "强信号", "enabled": "on", "events": ["signal.strong"], "min_severity": 30}
    form |= {"channels": [channel.pk], "throttle_minutes": 60, "digest_hour": 9}

    half = analyst.post(reverse("alerts:rule-add"), form | {"quiet_start": "22:00"})
    assert "静默时段" in half.content.decode() and not Rule.objects.exists()

    analyst.post(reverse("alerts:rule-add"), form)
    rule = Rule.objects.get()
    assert rule.events == ["signal.strong"] and list(rule.channels.all()) == [channel]

    analyst.post(reverse("alerts:rule-toggle", args=[rule.pk]))
    assert not Rule.objects.get().enabled
    assert AuditEvent.objects.filter(action="rule.disable").exists()
