"""The Celery application.

Tasks live in the top-level ``tasks`` package as thin wrappers around services in
``canary.*``; schedules are stored by django-celery-beat so they can be edited in the console.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canary.settings")

app = Celery("canary")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(lambda: ["tasks"], related_name=None)
