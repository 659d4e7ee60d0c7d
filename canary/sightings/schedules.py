"""Periodic sightings tasks, stored as django-celery-beat schedules (editable in the admin).

``ensure_schedules()`` is idempotent and runs after every ``migrate`` (see ``apps.py``); an
interval an operator changed is left alone. Each enabled source gets its own periodic fetch,
kept in step with the source by :func:`sync_source_schedule` whenever a source is saved.
"""

from __future__ import annotations

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from .models import Source, SourceKind

# (task name, every N minutes). The sweeper queues scans a lost task left behind.
SCHEDULES = [("sightings.sweep", 1)]
FETCH_TASK = "sightings.fetch_source"


def ensure_schedules() -> int:
    """Create the missing periodic tasks; returns how many were created."""
    created = 0
    for task, minutes in SCHEDULES:
        if PeriodicTask.objects.filter(name=task).exists():
            continue
        PeriodicTask.objects.create(name=task, task=task, interval=_every(minutes))
        created += 1
    return created


def sync_source_schedule(source: Source) -> PeriodicTask | None:
    """Create, update or remove the source's periodic fetch to match the source."""
    if source.kind == SourceKind.UPLOAD:
        if source.schedule_id:
            PeriodicTask.objects.filter(pk=source.schedule_id).delete()
        return None
    values = {
        "task": FETCH_TASK,
        "args": json.dumps([source.pk]),
        "interval": _every(source.every_minutes or 60),
        "enabled": source.enabled,
    }
    task, _ = PeriodicTask.objects.update_or_create(name=f"{FETCH_TASK}:{source.pk}", defaults=values)
    if source.schedule_id != task.pk:
        Source.objects.filter(pk=source.pk).update(schedule=task)
        source.schedule = task
    return task


def remove_source_schedule(source: Source) -> None:
    PeriodicTask.objects.filter(name=f"{FETCH_TASK}:{source.pk}").delete()


def _every(minutes: int) -> IntervalSchedule:
    interval, _ = IntervalSchedule.objects.get_or_create(every=minutes, period=IntervalSchedule.MINUTES)
    return interval
