"""The broker stops in the middle of 1,000 signed Twilio webhooks and comes back.

Every webhook still answers 200 (the contact is stored before the answer; the publish fails fast
and is left to the sweeper), and after the broker returns every contact is processed exactly once.
"""

from __future__ import annotations

import time

import pytest

from canary.attribution.models import Signal
from canary.campaigns.models import Decoy
from canary.phones.models import Contact
from tests.celery_support import Worker, publishing_to, wait_until
from tests.phones.conftest import post_twilio, sms_params, twilio_env  # noqa: F401  (fixtures)

from .conftest import needs_redis

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), needs_redis]

BEFORE, DURING, AFTER = 400, 200, 400


def test_broker_stopped_during_a_thousand_webhooks_loses_and_repeats_nothing(
    post_twilio,  # noqa: F811
    campaign,
    private_broker,
    tmp_path,
    settings,
):
    decoys = list(Decoy.objects.filter(campaign=campaign).select_related("number").order_by("id"))
    worker = Worker(private_broker.url, tmp_path / "worker.log", ("-P", "prefork", "-c", "2", "-l", "INFO"))
    statuses: list[int] = []
    outage_seconds: list[float] = []

    def send(first: int, count: int) -> None:
        for n in range(first, first + count):
            decoy = decoys[n % len(decoys)]
            params = sms_params(f"SM{n:032d}", decoy.number.e164, f"{decoy.waybill_no} 理赔")
            statuses.append(post_twilio("/hooks/twilio/sms/", params).status_code)

    with publishing_to(private_broker.url, fail_fast=True):
        worker.start()
        try:
            send(0, BEFORE)
            private_broker.stop()
            started = time.monotonic()
            send(BEFORE, DURING)
            outage_seconds.append(time.monotonic() - started)
            private_broker.start()
            send(BEFORE + DURING, AFTER)
            lost = Contact.objects.filter(processed_at__isnull=True).count()

            settings.PHONES_SWEEP_AFTER_SECONDS = 0
            from tasks.phones import sweep_contacts

            sweep_contacts()  # beat's job
            returned = time.monotonic()
            wait_until(
                lambda: not Contact.objects.filter(processed_at__isnull=True).exists(),
                300,
                lambda: f"every contact processed; worker said:\n{worker.output()}",
            )
            processed_at = time.monotonic()
        finally:
            worker.stop()

    total = BEFORE + DURING + AFTER
    counts = {
        "webhooks": len(statuses),
        "answered_200": statuses.count(200),
        "stored": Contact.objects.count(),
        "unprocessed_when_broker_returned": lost,
        "processed": Contact.objects.filter(processed_at__isnull=False).count(),
        "processed_more_than_once": Contact.objects.filter(processing_attempts__gt=1).count(),
        "outage_ms_per_webhook": round(1000 * outage_seconds[0] / DURING, 1),
        "seconds_to_process_all_after_return": round(processed_at - returned, 1),
    }
    print("broker outage:", counts)
    assert counts["answered_200"] == counts["stored"] == counts["processed"] == total
    assert counts["unprocessed_when_broker_returned"] >= DURING  # the outage really lost publishes
    assert counts["processed_more_than_once"] == 0
    assert set(Signal.objects.values_list("occurrences", flat=True)) == {1}
