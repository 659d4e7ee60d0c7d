from collections.abc import Iterable, Iterator

from django.db import models
from django.utils.translation import gettext_lazy as _

from .messages import translated_parts
from .waybills import CARRIER_NAMES, Carrier


class CarrierChoice(models.TextChoices):
    # Mirrors waybills.Carrier (pure module) so forms and admin get translated labels.
    SF = Carrier.SF.value, CARRIER_NAMES[Carrier.SF][0]
    YTO = Carrier.YTO.value, CARRIER_NAMES[Carrier.YTO][0]
    ZTO = Carrier.ZTO.value, CARRIER_NAMES[Carrier.ZTO][0]
    STO = Carrier.STO.value, CARRIER_NAMES[Carrier.STO][0]
    YUNDA = Carrier.YUNDA.value, CARRIER_NAMES[Carrier.YUNDA][0]
    JD = Carrier.JD.value, CARRIER_NAMES[Carrier.JD][0]
    JT = Carrier.JT.value, CARRIER_NAMES[Carrier.JT][0]
    EMS = Carrier.EMS.value, CARRIER_NAMES[Carrier.EMS][0]


class Strategy(models.TextChoices):
    ISOLATED = "isolated", _("Isolated: each decoy seen by one target node")
    ROUTE = "route", _("Route: each decoy travels a realistic route")


class LabelTemplate(models.TextChoices):
    ONE_PLY = "76x130", _("76×130 mm one-ply")
    TWO_PLY = "100x180", _("100×180 mm two-ply")


class CampaignStatus(models.TextChoices):
    ISSUING = "issuing", _("Issuing decoys")
    FAILED = "failed", _("Issuing failed")
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    ARCHIVED = "archived", _("Archived")


class Channel(models.TextChoices):
    LABEL = "label", _("Printed label")
    SYSTEM = "system", _("System record")
    API = "api", _("API feed")


class Campaign(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    carrier = models.CharField(_("carrier"), max_length=8, choices=CarrierChoice.choices)
    strategy = models.CharField(_("seeding strategy"), max_length=16, choices=Strategy.choices)
    decoys_per_node = models.PositiveIntegerField(_("decoys per node"))
    label_template = models.CharField(
        _("label template"), max_length=16, choices=LabelTemplate.choices, default=LabelTemplate.ONE_PLY
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_index=True,
    )
    targets = models.ManyToManyField(
        "network.Node", through="CampaignTarget", related_name="campaigns", verbose_name=_("target nodes")
    )
    created_by = models.CharField(_("created by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    plan_report = models.JSONField(_("seeding-plan report"), default=dict, blank=True)
    # Background issuing (canary.campaigns.issuing): the spec to issue from, how many decoys it
    # makes, how far it got, when it was last queued, and why it failed.
    issue_spec = models.JSONField(_("issuing spec"), default=dict, blank=True, editable=False)
    decoys_expected = models.PositiveIntegerField(_("decoys expected"), default=0)
    decoys_issued = models.PositiveIntegerField(_("decoys issued so far"), default=0)
    issue_queued_at = models.DateTimeField(_("issuing queued"), null=True, blank=True)
    issue_error = models.TextField(_("issuing error"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="campaign_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.slug} ({self.get_status_display()})"


class CampaignTarget(models.Model):
    """A node the campaign seeds, with its codeword: the set of canary numbers its decoys carry."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="campaign_targets")
    node = models.ForeignKey("network.Node", on_delete=models.PROTECT, related_name="+")
    codeword = models.JSONField(
        _("codeword"), default=list, help_text=_("E.164 numbers of this node's decoys")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "node"], name="one_target_per_node")]
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")

    def __str__(self) -> str:
        return f"{self.campaign.slug}:{self.node.code}"


class WaybillCursor(models.Model):
    """Where the next serial of a carrier's reserved block is; claimed with compare-and-set."""

    carrier = models.CharField(_("carrier"), max_length=8, choices=CarrierChoice.choices, unique=True)
    first_serial = models.BigIntegerField(_("first serial"))
    last_serial = models.BigIntegerField(_("last serial"))
    next_serial = models.BigIntegerField(_("next serial"))

    class Meta:
        verbose_name = _("reserved waybill block")
        verbose_name_plural = _("reserved waybill blocks")

    def __str__(self) -> str:
        return f"{self.carrier} {self.first_serial}–{self.last_serial} (next {self.next_serial})"

    @property
    def remaining(self) -> int:
        return self.last_serial - self.next_serial + 1


class LabelPrint(models.TextChoices):
    """How a decoy's label has been printed so far: a privacy label (隐私面单) shows ``张*伟`` and
    ``138****5678``, so its full phone can only leak from a system record, never from the label."""

    NOT_PRINTED = "", _("Not printed")
    PRIVACY = "privacy", _("Privacy labels only")
    FULL = "full", _("Full label printed")


# SQLite caps the parameters of one query (32,766); a canary phone can fit more decoys than that.
_IDS_PER_QUERY = 5000


class DecoyQuerySet(models.QuerySet):
    def values_by_id(self, decoy_ids: Iterable[int], *fields: str) -> Iterator[tuple]:
        """``(id, *fields)`` of the decoys with these ids (deleted ones left out), asked in slices
        that every database takes as one query."""
        ordered = sorted(set(decoy_ids))
        for start in range(0, len(ordered), _IDS_PER_QUERY):
            yield from self.filter(id__in=ordered[start : start + _IDS_PER_QUERY]).values_list("id", *fields)


class Decoy(models.Model):
    """One believable shipment that only a leak can bring back to us."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="decoys")
    target = models.ForeignKey(
        "network.Node",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("seeded for"),
    )
    waybill_no = models.CharField(_("waybill number"), max_length=32, unique=True)
    carrier = models.CharField(_("carrier"), max_length=8, choices=CarrierChoice.choices)
    recipient_name = models.CharField(_("recipient name"), max_length=16, unique=True)
    name_key = models.CharField(_("masked-name key"), max_length=8, db_index=True)
    recipient_phone = models.CharField(_("recipient phone"), max_length=20, db_index=True)
    number = models.ForeignKey(
        "phones.CanaryNumber", null=True, blank=True, on_delete=models.PROTECT, related_name="decoys"
    )
    province = models.CharField(_("province"), max_length=32)
    city = models.CharField(_("city"), max_length=32)
    recipient_address = models.CharField(_("recipient address"), max_length=255)
    address_token = models.CharField(_("address token"), max_length=64, unique=True)
    item_category = models.CharField(_("item category"), max_length=16)
    item_description = models.CharField(_("item"), max_length=100)
    declared_value = models.PositiveIntegerField(_("declared value (yuan)"), default=0)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=6, decimal_places=2)
    sender_name = models.CharField(_("sender"), max_length=100)
    sender_phone = models.CharField(_("sender phone"), max_length=20)
    sender_address = models.CharField(_("sender address"), max_length=255)
    sort_code = models.CharField(_("sort code"), max_length=32)
    origin = models.ForeignKey(
        "network.Node", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destination = models.ForeignKey(
        "network.Node", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipped_at = models.DateTimeField(_("shipped"))
    is_control = models.BooleanField(
        _("control decoy"), default=False, help_text=_("Never exposed: measures noise and guessed numbers")
    )
    label_printed = models.CharField(
        _("label printed"), max_length=8, choices=LabelPrint.choices, default="", blank=True, editable=False
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)

    objects = DecoyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("decoy")
        verbose_name_plural = _("decoys")
        permissions = [("export_decoys", _("Can export decoy registry, labels and orders"))]
        indexes = [
            # A campaign's decoy list is paged by id (keyset): one index walk whatever the page.
            models.Index(fields=["campaign", "id"], name="decoy_campaign_page"),
            # Attribution reads the (few) privacy-printed decoys of a campaign on every run.
            models.Index(
                fields=["campaign"], condition=models.Q(label_printed="privacy"), name="decoy_privacy_label"
            ),
        ]

    def __str__(self) -> str:
        return self.waybill_no


class Exposure(models.Model):
    """A node could see a decoy from ``visible_from`` (through a channel): the attribution ledger."""

    # No single-column indexes: the unique (decoy, node, channel) and the (node, visible_from)
    # index serve both look-ups, and each index costs issuing ~9 inserts per decoy.
    decoy = models.ForeignKey(Decoy, on_delete=models.CASCADE, related_name="exposures", db_index=False)
    node = models.ForeignKey(
        "network.Node", on_delete=models.PROTECT, related_name="exposures", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    visible_from = models.DateTimeField(_("visible from"))
    visible_until = models.DateTimeField(_("visible until"), null=True, blank=True)

    class Meta:
        ordering = ["decoy_id", "visible_from"]
        verbose_name = _("exposure")
        verbose_name_plural = _("exposures")
        constraints = [
            models.UniqueConstraint(fields=["decoy", "node", "channel"], name="one_exposure_per_channel"),
        ]
        indexes = [models.Index(fields=["node", "visible_from"])]

    def __str__(self) -> str:
        return f"{self.decoy_id}@{self.node_id} {self.channel}"


class CampaignStatusChange(models.Model):
    """One step of a campaign's life (issuing → draft → active → ended …): who, when, why."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(
        _("from status"), max_length=16, choices=CampaignStatus.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=16, choices=CampaignStatus.choices)
    actor = models.CharField(_("changed by"), max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # The reason's message templates and values, so the console shows it in the reader's language.
    reason_parts = models.JSONField(
        _("reason (translatable parts)"), default=list, blank=True, editable=False
    )
    at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("campaign status change")
        verbose_name_plural = _("campaign status changes")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.from_status or '-'} → {self.to_status}"

    def translated_reason(self) -> str:
        return translated_parts(self.reason_parts, self.reason)
