"""Settings for the Celery worker the end-to-end test starts: the project's, plus loopback
targets and a queue of its own (so parallel runs never take each other's tasks)."""

import os

from canary.settings import *  # noqa: F403

ALLOW_LOOPBACK_TARGETS = True
CELERY_TASK_DEFAULT_QUEUE = os.environ["ALERTS_E2E_QUEUE"]
CELERY_TASK_ROUTES = {"*": {"queue": CELERY_TASK_DEFAULT_QUEUE}}
