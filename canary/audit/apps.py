from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "canary.audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from .groups import ensure_role_groups

        # After every app's migrations, so that every permission exists.
        post_migrate.connect(ensure_role_groups, dispatch_uid="canary.audit.ensure_role_groups")
