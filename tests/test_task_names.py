"""Every task has an explicit name, and every stored beat schedule names a task that exists."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from canary import celery_app
from canary.queue import task


def project_tasks() -> set[str]:
    celery_app.loader.import_default_modules()
    return {name for name in celery_app.tasks if not name.startswith("celery.")}


def test_every_task_is_named_explicitly_not_after_its_module():
    names = project_tasks()
    assert names and not [name for name in names if name.startswith("tasks.")]


@pytest.mark.django_db
def test_every_stored_schedule_after_migrate_names_a_registered_task():
    stored = set(PeriodicTask.objects.values_list("task", flat=True))
    assert stored and stored <= project_tasks()


def test_the_publish_helper_finds_tasks_by_name():
    assert task("phones.process_contact").name == "phones.process_contact"
