"""The queue for real: a Celery worker subprocess on a private Redis, and the broker going away.

Each test starts its own ``redis-server`` on a free port, so parallel test workers never share
a queue and stopping "the broker" never touches anyone else's Redis.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from canary.attribution.models import Signal
from canary.campaigns.models import Decoy
from canary.phones.models import Contact
from tests.celery_support import Broker, Worker, publishing_to, wait_until

from .conftest import sms_params

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker():
    broker = Broker()
    # Publishing gives up on a dead broker at once: the webhook must not hang on it.
    with publishing_to(broker.url, fail_fast=True):
        yield broker
        broker.stop()


@pytest.fixture
def worker(broker, tmp_path):
    worker = Worker(broker.url, tmp_path / "worker.log")
    yield worker
    worker.stop()


def test_signed_sms_naming_a_decoy_gives_a_strong_signal_through_the_real_queue(
    post_twilio, campaign, broker, worker
):
    broker.start()
    worker.start()
    decoy = Decoy.objects.filter(campaign=campaign).order_by("id")[4]
    body = f"{decoy.recipient_name}，您的快递 {decoy.waybill_no} 已丢失，请联系客服办理双倍理赔"

    response = post_twilio("/hooks/twilio/sms/", sms_params("SM" + "w" * 32, decoy.number.e164, body))

    assert response.status_code == 200
    contact = Contact.objects.get()
    wait_until(
        lambda: Contact.objects.filter(pk=contact.pk, processed_at__isnull=False).exists(),
        what=lambda: f"processing; worker said:\n{worker.output()}",
    )
    strong = Signal.objects.get(dedupe_key=f"phones.contact:{contact.pk}:text")
    assert strong.is_strong
    assert list(strong.decoys.all()) == [decoy]


def test_with_the_broker_down_every_sms_is_stored_and_processed_once_after_it_returns(
    post_twilio, campaign, broker, worker, settings
):
    decoys = list(Decoy.objects.filter(campaign=campaign).order_by("id"))
    for n in range(100):
        decoy = decoys[n % len(decoys)]
        response = post_twilio(
            "/hooks/twilio/sms/", sms_params(f"SM{n:032d}", decoy.number.e164, f"{decoy.waybill_no} 理赔")
        )
        assert response.status_code == 200
    assert Contact.objects.count() == 100
    assert not Contact.objects.filter(processed_at__isnull=False).exists()

    broker.start()
    worker.start()
    settings.PHONES_SWEEP_AFTER_SECONDS = 0
    from tasks.phones import sweep_contacts

    # Beat's job, done twice: a contact queued twice must still be processed once.
    assert sweep_contacts() == 100
    assert sweep_contacts() == 100
    wait_until(
        lambda: not Contact.objects.filter(processed_at__isnull=True).exists(),
        what=lambda: f"all processed; worker said:\n{worker.output()}",
    )

    assert set(Contact.objects.values_list("processing_attempts", flat=True)) == {1}
    assert set(Signal.objects.values_list("occurrences", flat=True)) == {1}
    assert Signal.objects.filter(dedupe_key__endswith=":text").count() == 100
