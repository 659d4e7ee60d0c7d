"""Periodic attribution tasks, stored as django-celery-beat schedules (editable in the admin).

``ensure_schedules()`` is idempotent and runs after every ``migrate`` (see ``apps.py``); an
interval an operator changed is left alone.
"""

from __future__ import annotations

from django_celery_beat.models import IntervalSchedule, PeriodicTask

# (task name, every N minutes). The sweeper recomputes campaigns whose queued recompute was lost.
SCHEDULES = [("attribution.sweep", 5)]


def ensure_schedules() -> int:
    """Create the missing periodic tasks; returns how many were created."""
    created = 0
    for task, minutes in SCHEDULES:
        if PeriodicTask.objects.filter(name=task).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=minutes, period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.create(name=task, task=task, interval=interval)
        created += 1
    return created
