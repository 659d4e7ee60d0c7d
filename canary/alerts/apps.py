from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_schedules(sender, **kwargs):
    from .schedules import ensure_schedules

    ensure_schedules()


class AlertsConfig(AppConfig):
    name = "canary.alerts"
    verbose_name = _("Alerts and incidents")

    def ready(self):
        from canary.attribution.signals import on_signal

        from .services import enqueue_signal

        # Every recorded signal is evaluated against the alert rules, after its commit.
        on_signal(enqueue_signal)
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="alerts.ensure_schedules")
