from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


def _ensure_schedules(sender, **kwargs):
    from .schedules import ensure_schedules

    ensure_schedules()


def _source_saved(sender, instance, raw=False, **kwargs):
    from .schedules import sync_source_schedule

    if not raw:
        sync_source_schedule(instance)


def _source_deleted(sender, instance, **kwargs):
    from .schedules import remove_source_schedule

    remove_source_schedule(instance)


class SightingsConfig(AppConfig):
    name = "canary.sightings"
    verbose_name = _("Online sightings")

    def ready(self):
        from .models import Source

        # A source's periodic fetch follows the source however it is saved (admin, shell, API).
        post_save.connect(_source_saved, sender=Source, dispatch_uid="sightings.source_saved")
        post_delete.connect(_source_deleted, sender=Source, dispatch_uid="sightings.source_deleted")
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="sightings.ensure_schedules")
