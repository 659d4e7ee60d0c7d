"""Fixtures for alert tests: real listeners on loopback, a team with channels, a rule."""

from __future__ import annotations

import json

import pytest

from .fakes import HttpReceiver, SmtpServer

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-auth-token"
SMS_FROM = "+447700900999"


def twilio_message(request) -> str:
    """What Twilio's REST API answers to a sent message: the message resource, queued."""
    form = request.form()
    return json.dumps(
        {
            "sid": "SM" + "1" * 32,
            "account_sid": TWILIO_SID,
            "to": form["To"][0],
            "from": form["From"][0],
            "body": form["Body"][0],
            "status": "queued",
            "num_segments": "1",
        }
    )


@pytest.fixture
def receiver():
    server = HttpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _alert_settings(settings):
    settings.ALLOW_LOOPBACK_TARGETS = True
    settings.ALERTS_RETRY_JITTER = False
    settings.PUBLIC_BASE_URL = "https://canary.example.com"
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.ALERTS_SMS_FROM = SMS_FROM
    settings.ADMINS = [("Admin", "admin@example.com")]


@pytest.fixture
def team(db):
    from canary.alerts.models import Team

    return Team.objects.create(name="安全组", monthly_sms_quota=5, admin_emails=["lead@example.com"])


@pytest.fixture
def make_channel(team):
    from canary.alerts.models import Channel

    def make(kind: str, target: str, secret: str = "", name: str = ""):
        return Channel.objects.create(team=team, kind=kind, target=target, secret=secret, name=name or kind)

    return make


@pytest.fixture
def make_rule():
    from canary.alerts.models import Rule, Severity

    def make(*channels, escalation=(), **fields):
        fields.setdefault("min_severity", Severity.INFO)
        rule = Rule.objects.create(name=fields.pop("name", "all events"), **fields)
        rule.channels.set(channels)
        rule.escalation_channels.set(escalation)
        return rule

    return make


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the code under test and then its after-commit hooks (queueing), as a request would."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def strong_signal(campaign, run_on_commit):
    """Record a strong SMS signal for one decoy of the campaign, the way the webhooks do."""
    from django.utils import timezone

    from canary.attribution.signals import record_signal

    counter = iter(range(1_000_000))

    def record(decoy=None, strength=0.95, summary="短信提到收件人姓名"):
        decoy = decoy or campaign.decoys.order_by("id").first()
        n = next(counter)
        return run_on_commit(
            record_signal,
            kind="sms",
            decoy_ids=[decoy.pk],
            seen_at=timezone.now(),
            strength=strength,
            dedupe_key=f"test-sms-{n}",
            origin=f"phones.contact:{n}",
            summary=summary,
        )[0][0]

    return record


@pytest.fixture
def selftest_decoy(network, numbers):
    """The decoy of a campaign kept only for self-tests: one depot, one decoy, its own number."""
    from canary.campaigns.planner import CampaignSpec, activate, create_campaign

    spec = CampaignSpec.from_dict(
        {
            "slug": "selftest",
            "name": "自检",
            "carrier": "sf",
            "nodes": ["D-SH-PD"],
            "decoys_per_node": 1,
            "numbers": 1,
            "strategy": "isolated",
            "starts_at": "2026-11-01T09:00:00+08:00",
            "ends_at": "2027-11-01T00:00:00+08:00",
            "seed": 11,
        }
    )
    summary = create_campaign(spec, actor="test")
    activate(summary.campaign, actor="test")
    return summary.campaign.decoys.select_related("number").get()


@pytest.fixture
def drop(tmp_path, settings):
    """A watched folder source under a temporary SIGHTINGS_FOLDER_ROOT."""
    root = tmp_path / "drop"
    folder = root / "selftest"
    folder.mkdir(parents=True)
    settings.SIGHTINGS_FOLDER_ROOT = str(root)
    from canary.sightings.models import Source, SourceKind

    return Source.objects.create(name="self-test drop", kind=SourceKind.FOLDER, path=str(folder))
