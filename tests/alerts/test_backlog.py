"""The backlog monitor on the Redis broker: an undeclared queue is empty, a long one is reported."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.conf import settings
from kombu import Connection

from canary.alerts import services
from canary.alerts.models import Event, EventKind
from tests.celery_support import publishing_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    name = f"backlog-{uuid.uuid4().hex[:8]}"
    yield name
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(name, f"_kombu.binding.{name}")


def test_a_queue_no_worker_has_declared_counts_as_empty(queue):
    with publishing_to(settings.CELERY_BROKER_URL):
        assert services.check_queue_backlog(queue) == 0
    assert not Event.objects.exists()


def test_a_backlog_over_the_threshold_is_reported_once(queue, settings):
    settings.ALERTS_QUEUE_BACKLOG_THRESHOLD = 3
    with Connection(settings.CELERY_BROKER_URL) as connection:
        waiting = connection.SimpleQueue(queue)
        for n in range(5):
            waiting.put({"n": n})
        waiting.close()

    with publishing_to(settings.CELERY_BROKER_URL):
        assert services.check_queue_backlog(queue) == 5
        assert services.check_queue_backlog(queue) == 5

    (event,) = Event.objects.filter(kind=EventKind.WATCHER_UNHEALTHY)
    assert event.payload["subject"] == f"queue:{queue}"
