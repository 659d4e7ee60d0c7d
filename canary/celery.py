"""The Celery application.

Tasks live in the top-level ``tasks`` package as thin wrappers around services in
``canary.*``; schedules are stored by django-celery-beat so they can be edited in the console.
Services publish work by task name through :mod:`canary.queue`, never by importing ``tasks``.
"""

import os

from celery import Celery, Task
from django.db import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canary.settings")


class DatabaseTask(Task):
    """Every task of the project: a database that is briefly busy or away is retried, not lost.

    ``OperationalError`` is what SQLite says while another process holds the write lock past the
    busy timeout, and what PostgreSQL says while it restarts. Both pass; the task runs again with
    exponential backoff (with jitter) and, after the last retry, fails into the sweepers' hands.
    """

    autoretry_for = (OperationalError,)
    retry_backoff = 2
    retry_backoff_max = 120
    retry_jitter = True
    max_retries = 8


app = Celery("canary", task_cls=DatabaseTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(lambda: ["tasks"], related_name=None)
