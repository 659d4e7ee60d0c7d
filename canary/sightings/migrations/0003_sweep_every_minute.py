"""The sightings sweep runs every minute on databases made before that became the default.

``ensure_schedules`` only creates missing rows, so a beat row stored with the old 5-minute
interval would keep it for good. A row an operator set to another interval is left alone.
"""

from django.db import migrations
from django.utils import timezone

TASK = "sightings.sweep"
OLD_MINUTES, NEW_MINUTES = 5, 1


def move_interval(apps, schema_editor, old=OLD_MINUTES, new=NEW_MINUTES):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    stale = PeriodicTask.objects.filter(name=TASK, interval__every=old, interval__period="minutes")
    if not stale.exists():
        return
    interval, _ = IntervalSchedule.objects.get_or_create(every=new, period="minutes")
    stale.update(interval=interval)
    # A running beat reloads its schedule when this stamp moves (model signals do not fire here).
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def move_back(apps, schema_editor):
    move_interval(apps, schema_editor, old=NEW_MINUTES, new=OLD_MINUTES)


class Migration(migrations.Migration):
    dependencies = [
        ("sightings", "0002_one_sighting_per_evidence"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(move_interval, move_back)]
