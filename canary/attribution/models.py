from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SignalKind(models.TextChoices):
    SMS = "sms", _("SMS to a canary number")
    CALL = "call", _("Call to a canary number")
    TRACKING = "tracking", _("Tracking lookup of a decoy")
    ONLINE = "online", _("Decoy seen online")
    PHOTO = "photo", _("Label photo")
    DUMP = "dump", _("Decoy in a bought dump")


class Signal(models.Model):
    """Evidence that decoys left the network: a set of candidate decoys and a first-seen time.

    Inputs (contacts, sightings, tracking lookups) each become a signal; repeats of the same
    evidence (same ``dedupe_key``) update this row instead of adding weight again.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="signals", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SignalKind.choices, db_index=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    decoys = models.ManyToManyField(
        "campaigns.Decoy", related_name="signals", verbose_name=_("candidate decoys")
    )
    first_seen_at = models.DateTimeField(_("first seen"), db_index=True)
    last_seen_at = models.DateTimeField(_("last seen"))
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    strength = models.FloatField(_("strength"), help_text=_("0–1: how surely this points at its decoys"))
    # Leak-channel hints: a privacy-label decoy's full phone number can only come from a system.
    full_phone_of_privacy_label = models.BooleanField(_("full phone of a privacy-label decoy"), default=False)
    origin = models.CharField(_("origin"), max_length=64, help_text=_("e.g. phones.contact:42"))
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-first_seen_at"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")

    def __str__(self) -> str:
        # In the team's zone: this text becomes evidence titles people read.
        seen = timezone.localtime(self.first_seen_at)
        return f"{self.get_kind_display()} {seen:%Y-%m-%d %H:%M} ({self.strength:.2f})"

    @property
    def is_strong(self) -> bool:
        return self.strength >= 0.8


class AttributionSnapshot(models.Model):
    """One attribution result of a campaign at one time: the console shows how suspicion evolved."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="attribution_snapshots",
        verbose_name=_("campaign"),
    )
    computed_at = models.DateTimeField(_("computed"), db_index=True)
    signals_count = models.PositiveIntegerField(_("signals"))
    top_node = models.ForeignKey(
        "network.Node",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("top node"),
    )
    top_posterior = models.FloatField(_("top posterior"))
    noise_only = models.FloatField(_("noise-only posterior"))
    result = models.JSONField(_("result"), default=dict)

    class Meta:
        ordering = ["-computed_at"]
        indexes = [models.Index(fields=["campaign", "-computed_at"])]
        verbose_name = _("attribution snapshot")
        verbose_name_plural = _("attribution snapshots")

    def __str__(self) -> str:
        node = self.top_node.code if self.top_node_id else "-"
        return f"{self.campaign_id} {self.computed_at:%Y-%m-%d %H:%M} {node} {self.top_posterior:.3f}"


class RecomputeState(models.Model):
    """Debounce of attribution per campaign.

    Every new signal bumps ``generation``; a recompute records the generation it covered in
    ``computed_generation``. ``queued_at`` says a recompute is already waiting in the queue, so
    a burst of signals enqueues one task instead of one per signal. Both are changed only with
    conditional UPDATEs, which makes the claim safe across web and worker processes.
    """

    campaign = models.OneToOneField(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="attribution_state",
        verbose_name=_("campaign"),
    )
    generation = models.PositiveBigIntegerField(_("signal generation"), default=0)
    computed_generation = models.PositiveBigIntegerField(_("computed generation"), default=0)
    queued_at = models.DateTimeField(_("recompute queued"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("attribution recompute state")
        verbose_name_plural = _("attribution recompute states")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.computed_generation}/{self.generation}"

    @property
    def is_dirty(self) -> bool:
        return self.generation > self.computed_generation
