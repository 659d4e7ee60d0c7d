"""The SMTP server and the webhook receiver are down when alerts go out, then come back: a real
worker retries with backoff and every alert arrives exactly once on each."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from canary.alerts import services
from canary.alerts.models import Alert, AlertStatus, Channel, EventKind, Rule, Severity, Team
from tests.alerts.fakes import HttpReceiver, SmtpServer
from tests.celery_support import Worker, free_port, publishing_to, wait_until

from .conftest import needs_redis, repeats

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), needs_redis]

EVENTS = 25
DOWN_SECONDS = 8


def test_alerts_sent_while_smtp_and_webhook_are_down_arrive_once_each_when_they_return(
    private_broker, tmp_path, django_capture_on_commit_callbacks
):
    web_port, smtp_port = free_port(), free_port()
    team = Team.objects.create(name="值班")
    webhook = Channel.objects.create(
        team=team, kind="webhook", name="hook", target=f"http://127.0.0.1:{web_port}/hook", secret="k"
    )
    email = Channel.objects.create(team=team, kind="email", name="mail", target="duty@example.com")
    rule = Rule.objects.create(name="all", min_severity=Severity.INFO, throttle_minutes=0)
    rule.channels.set([webhook, email])
    env = {
        "ALLOW_LOOPBACK_TARGETS": "true",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "ALERTS_RETRY_BACKOFF_SECONDS": "1",
        "ALERTS_RETRY_BACKOFF_MAX_SECONDS": "8",
        "ALERTS_RETRY_JITTER": "false",
    }
    worker = Worker(private_broker.url, tmp_path / "worker.log", ("-P", "threads", "-c", "8"), env)
    receiver, smtp = HttpReceiver(port=web_port), SmtpServer(port=smtp_port)

    with publishing_to(private_broker.url):
        worker.start()
        try:
            with django_capture_on_commit_callbacks(execute=True):
                for n in range(EVENTS):
                    services.raise_event(
                        EventKind.WATCHER_UNHEALTHY, severity=Severity.WARNING, payload={"subject": f"s{n}"}
                    )
            wait_until(
                lambda: Alert.objects.filter(attempts__gt=0).count() == 2 * EVENTS,
                60,
                lambda: f"first attempts; worker said:\n{worker.output()}",
            )
            time.sleep(DOWN_SECONDS)
            failed_while_down = Alert.objects.exclude(status=AlertStatus.SENT).count()
            receiver.start()
            smtp.start()
            wait_until(
                lambda: Alert.objects.filter(status=AlertStatus.SENT).count() == 2 * EVENTS,
                120,
                lambda: f"every alert sent; worker said:\n{worker.output()}",
            )
        finally:
            worker.stop()
            if receiver.server:
                receiver.stop()
                smtp.stop()

    mails = Counter(
        line.split(":", 1)[1].strip()
        for message in smtp.messages
        for line in message.content.decode().splitlines()
        if line.lower().startswith("x-canary-alert-id:")
    )
    counts = {
        "alerts": Alert.objects.count(),
        "unsent_while_down": failed_while_down,
        "attempts": sum(Alert.objects.values_list("attempts", flat=True)),
        "webhooks_received": len(receiver.requests),
        "webhook_duplicates": repeats(receiver.requests),
        "mails_received": sum(mails.values()),
        "mail_duplicates": sum(n - 1 for n in mails.values()),
    }
    print("receivers down then up:", counts)
    assert counts["unsent_while_down"] == 2 * EVENTS  # nothing got through while down
    assert counts["webhooks_received"] == counts["mails_received"] == EVENTS
    assert counts["webhook_duplicates"] == counts["mail_duplicates"] == 0
