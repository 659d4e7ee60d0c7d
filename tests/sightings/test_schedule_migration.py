"""Databases made before the every-minute sweep get it through a migration."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_celery_beat.models import PeriodicTask

BEFORE = [("sightings", "0002_one_sighting_per_evidence")]
AFTER = [("sightings", "0003_sweep_every_minute")]


def sweep_interval_after_migrating(minutes: int) -> tuple[int, str]:
    """Store the sweep's beat row as an older install left it, every ``minutes``, then migrate."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        interval, _ = old.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
            every=minutes, period="minutes"
        )
        old.get_model("django_celery_beat", "PeriodicTask").objects.update_or_create(
            name="sightings.sweep", defaults={"task": "sightings.sweep", "interval": interval}
        )
    finally:
        MigrationExecutor(connection).migrate(AFTER)
    sweep = PeriodicTask.objects.select_related("interval").get(name="sightings.sweep")
    return sweep.interval.every, sweep.interval.period


@pytest.mark.django_db(transaction=True)
def test_a_sweep_stored_every_five_minutes_moves_to_every_minute():
    assert sweep_interval_after_migrating(5) == (1, "minutes")


@pytest.mark.django_db(transaction=True)
def test_an_interval_the_operator_chose_is_left_alone():
    assert sweep_interval_after_migrating(15) == (15, "minutes")
