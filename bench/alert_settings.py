"""Settings for bench/alert_latency.py: the project's, plus a loopback receiver and a queue of its own."""

import os

from canary.settings import *  # noqa: F403

ALLOW_LOOPBACK_TARGETS = True
CELERY_TASK_DEFAULT_QUEUE = os.environ["ALERTS_BENCH_QUEUE"]
CELERY_TASK_ROUTES = {"*": {"queue": CELERY_TASK_DEFAULT_QUEUE}}
