"""Alert tasks: thin wrappers around ``canary.alerts`` services."""

from __future__ import annotations

from celery import shared_task

from canary.alerts import casefile, delivery, gateway_watch, selftest, services
from canary.alerts.models import SelfTest

MAX_DELIVERY_RETRIES = 6


@shared_task(name="alerts.evaluate_signal")
def evaluate_signal(signal_id: int) -> None:
    services.evaluate_signal(signal_id)


@shared_task(bind=True, name="alerts.deliver", max_retries=MAX_DELIVERY_RETRIES)
def deliver_alert(self, alert_id: int) -> None:
    # Transient transport errors come back as a countdown; permanent ones end inside the service.
    countdown = delivery.deliver(alert_id, retries=self.request.retries, max_retries=self.max_retries)
    if countdown is not None:
        raise self.retry(countdown=countdown)


@shared_task(name="alerts.send_digests")
def send_digests() -> int:
    return services.send_digests()


@shared_task(name="alerts.sweep")
def sweep() -> dict:
    return services.sweep()


@shared_task(name="alerts.check_queue_backlog")
def check_queue_backlog() -> int:
    return services.check_queue_backlog()


@shared_task(name="alerts.send_heartbeats")
def send_heartbeats() -> int:
    tests = list(SelfTest.objects.filter(enabled=True))
    for test in tests:
        selftest.send_heartbeat(test)
    return len(tests)


@shared_task(name="alerts.check_heartbeats")
def check_heartbeats() -> int:
    """Missed self-test heartbeats and silent SIM gateways: both are blind watchers."""
    return len(selftest.check()) + len(gateway_watch.check_silent_gateways())


@shared_task(name="alerts.build_case_file")
def build_case_file(case_file_id: int) -> None:
    casefile.build(case_file_id)
