"""Queueing processing after commit, without ever failing the request that stored the evidence."""

from __future__ import annotations

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def _publish(task_name: str, object_id: int) -> None:
    try:
        # Imported here: tasks wrap this app's services, so the services must not import tasks at load.
        import tasks.phones

        getattr(tasks.phones, task_name).delay(object_id)
    except Exception:
        log.warning(
            "could not queue %s(%s); the sweeper will re-queue it", task_name, object_id, exc_info=True
        )


def process_after_commit(contact_id: int) -> None:
    """Queue ``process_contact`` once the current transaction has committed."""
    transaction.on_commit(lambda: _publish("process_contact", contact_id))


def process_lookup_after_commit(lookup_id: int) -> None:
    transaction.on_commit(lambda: _publish("process_tracking_lookup", lookup_id))


def fetch_recording_after_commit(contact_id: int) -> None:
    transaction.on_commit(lambda: _publish("fetch_aliyun_recording", contact_id))
