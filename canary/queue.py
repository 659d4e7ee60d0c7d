"""The one way services publish work: by task name, after the commit that stored the work.

Services never import ``tasks`` (tasks import services). A publish that fails — broker down,
network gone — is logged and never raised: the row that describes the work is already stored
and a sweeper queues it again. The task object is the app's registered one, so eager mode (no
broker in the embedded default) runs it in-process just the same.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from celery import Task, group
from django.db import transaction
from kombu.exceptions import KombuError

log = logging.getLogger(__name__)


_loading = threading.Lock()


def task(name: str) -> Task:
    """The registered task called ``name`` (loading the ``tasks`` package on first use)."""
    from canary.celery import app

    if name not in app.tasks:
        # One thread imports the task modules; the others wait for it rather than finding a
        # half-filled registry (gunicorn serves with threads).
        with _loading:
            app.loader.import_default_modules()
    return app.tasks[name]


def publish(task_name: str, *args: Any, countdown: float | None = None, **kwargs: Any) -> bool:
    """Queue ``task_name(*args, **kwargs)`` now; False (logged) when the broker refused it."""
    try:
        task(task_name).apply_async(args, kwargs, countdown=countdown)
    except (KombuError, OSError) as error:
        # One line, no traceback: during a broker outage every publish fails the same way.
        log.warning("could not queue %s%r (%s); the sweeper will queue it again", task_name, args, error)
        return False
    except Exception:
        log.exception("could not queue %s%r; the sweeper will queue it again", task_name, args)
        return False
    return True


def publish_after_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Queue ``task_name(*args, **kwargs)`` once the current transaction has committed."""
    transaction.on_commit(lambda: publish(task_name, *args, **kwargs))


def publish_group_after_commit(task_name: str, calls: Iterable[tuple]) -> None:
    """Queue one ``task_name(*call)`` per call as a Celery group once the transaction commits."""
    calls = list(calls)

    def send() -> None:
        if not calls:
            return
        try:
            group(task(task_name).s(*call) for call in calls).apply_async()
        except (KombuError, OSError) as error:
            log.warning(
                "could not queue %d %s tasks (%s); the sweeper will queue them again",
                len(calls),
                task_name,
                error,
            )
        except Exception:
            log.exception(
                "could not queue %d %s tasks; the sweeper will queue them again", len(calls), task_name
            )

    transaction.on_commit(send)
