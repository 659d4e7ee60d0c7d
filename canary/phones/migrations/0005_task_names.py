"""Stored beat schedules follow the tasks' explicit names (``tasks.phones.x`` → ``phones.x``)."""

from django.db import migrations

RENAMES = {
    "tasks.phones.sweep_contacts": "phones.sweep",
    "tasks.phones.reconcile_contacts": "phones.reconcile_contacts",
    "tasks.phones.process_contact": "phones.process_contact",
    "tasks.phones.process_tracking_lookup": "phones.process_tracking_lookup",
    "tasks.phones.enrich_caller": "phones.enrich_caller",
}


def rename(apps, schema_editor, renames=RENAMES):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in renames.items():
        PeriodicTask.objects.filter(task=old).update(task=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMES.items()})


class Migration(migrations.Migration):
    dependencies = [("phones", "0004_smsgate")]

    operations = [migrations.RunPython(rename, rename_back)]
