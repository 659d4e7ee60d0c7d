from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_schedules(sender, **kwargs):
    from .schedules import ensure_schedules

    ensure_schedules()


class AttributionConfig(AppConfig):
    name = "canary.attribution"
    verbose_name = _("Attribution")

    def ready(self):
        from .services import note_new_signal
        from .signals import on_signal

        # Every recorded signal marks its campaign out of date; one recompute runs per burst.
        on_signal(note_new_signal)
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="attribution.ensure_schedules")
