from django.db import models
from django.utils.translation import gettext_lazy as _


class NodeKind(models.TextChoices):
    HQ = "hq", _("Headquarters")
    REGION = "region", _("Region")
    HUB = "hub", _("Hub (转运中心)")
    DEPOT = "depot", _("Depot (网点)")
    COURIER = "courier", _("Courier")
    MERCHANT = "merchant", _("Merchant")
    VENDOR = "vendor", _("Data-entry vendor")
    PARTNER = "partner", _("Partner system / API")
    WAREHOUSE = "warehouse", _("Warehouse")


class Node(models.Model):
    """A place in the courier network that can see waybills, and so can leak them."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=NodeKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("node")
        verbose_name_plural = _("nodes")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
