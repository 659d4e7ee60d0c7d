from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PhonesConfig(AppConfig):
    name = "canary.phones"
    verbose_name = _("Canary phones")

    def ready(self) -> None:
        from canary.campaigns.models import Campaign, Decoy

        from .tracking import decoy_waybills

        def forget_decoy_waybills(**kwargs) -> None:
            decoy_waybills.invalidate()

        for model in (Campaign, Decoy):
            post_save.connect(
                forget_decoy_waybills, sender=model, weak=False, dispatch_uid=f"phones.{model.__name__}.save"
            )
            post_delete.connect(
                forget_decoy_waybills,
                sender=model,
                weak=False,
                dispatch_uid=f"phones.{model.__name__}.delete",
            )
