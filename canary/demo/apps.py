from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The training demo: an insider leak played through the real hooks, sources and alerts."""

    name = "canary.demo"
    verbose_name = _("Demo")
