from django.db import models
from django.utils.translation import gettext_lazy as _


class Provider(models.TextChoices):
    TWILIO = "twilio", "Twilio"
    ALIYUN_PLS = "aliyun_pls", _("Alibaba Cloud number protection")
    SMSGATE = "smsgate", _("SIM gateway (SMS Gateway for Android / modem)")
    MANUAL = "manual", _("Manual")


class NumberStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    ASSIGNED = "assigned", _("Assigned")
    QUARANTINED = "quarantined", _("Quarantined")
    RETIRED = "retired", _("Retired")


class SmsGatewayQuerySet(models.QuerySet):
    def silent_since(self, cutoff) -> "SmsGatewayQuerySet":
        """Gateways not heard from (any signed event) since ``cutoff``, never-heard ones included."""
        return self.filter(
            models.Q(last_seen_at__lt=cutoff) | models.Q(last_seen_at__isnull=True, created_at__lt=cutoff)
        )


class SmsGateway(models.Model):
    """A phone (SMS Gateway for Android) or modem pool holding the team's own SIM cards.

    Each of its SIM slots carries one canary number (``CanaryNumber.gateway`` / ``sim_slot``).
    ``last_ping_at`` is its last ``system:ping`` heartbeat, ``last_seen_at`` its last signed event
    of any kind: a gateway silent longer than ``SMSGATE_SILENT_MINUTES`` raises a watcher event.
    """

    device_id = models.CharField(_("device id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    last_ping_at = models.DateTimeField(_("last ping"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last event"), null=True, blank=True)
    health = models.JSONField(_("health reported"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = SmsGatewayQuerySet.as_manager()

    class Meta:
        ordering = ["device_id"]
        verbose_name = _("SIM gateway")
        verbose_name_plural = _("SIM gateways")

    def __str__(self) -> str:
        return self.name or self.device_id


class CanaryNumber(models.Model):
    """A phone number the team owns and prints on decoys; any contact with it is a signal."""

    e164 = models.CharField(_("number (E.164)"), max_length=20, unique=True)
    provider = models.CharField(
        _("provider"), max_length=16, choices=Provider.choices, default=Provider.MANUAL
    )
    provider_sid = models.CharField(_("provider id"), max_length=64, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=NumberStatus.choices,
        default=NumberStatus.AVAILABLE,
        db_index=True,
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="numbers",
        verbose_name=_("campaign"),
    )
    quarantined_until = models.DateTimeField(_("quarantined until"), null=True, blank=True)
    gateway = models.ForeignKey(
        SmsGateway,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="numbers",
        verbose_name=_("SIM gateway"),
    )
    sim_slot = models.PositiveSmallIntegerField(_("SIM slot"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["e164"]
        verbose_name = _("canary number")
        verbose_name_plural = _("canary numbers")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "sim_slot"], name="one_number_per_sim_slot")
        ]

    def __str__(self) -> str:
        return self.e164


class NumberAssignment(models.Model):
    """History of which campaign held a number when: contacts are attributed by their date."""

    number = models.ForeignKey(CanaryNumber, on_delete=models.CASCADE, related_name="assignments")
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="number_assignments"
    )
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at"]
        verbose_name = _("number assignment")
        verbose_name_plural = _("number assignments")

    def __str__(self) -> str:
        return f"{self.number} → {self.campaign}"


class ContactKind(models.TextChoices):
    SMS = "sms", _("SMS")
    CALL = "call", _("Call")


class ContactSource(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    RECONCILED = "reconciled", _("Recovered by reconciliation")


class ContactQuerySet(models.QuerySet):
    def in_state(self, state: str) -> "ContactQuerySet":
        """``matched`` (a signal came of it), ``unmatched`` (processed, no decoy), ``pending``
        (not processed yet); anything else: all of them."""
        if state == "matched":
            return self.filter(signal_strength__isnull=False)
        if state == "unmatched":
            return self.filter(processed_at__isnull=False, signal_strength__isnull=True)
        if state == "pending":
            return self.filter(processed_at__isnull=True)
        return self


class Contact(models.Model):
    """One inbound SMS or call to a number, stored before the webhook answers: evidence.

    ``provider_sid`` is the provider's own id (Twilio MessageSid/CallSid, ``aliyun:<call_id>:<type>``),
    unique so a retried delivery or a reconciled copy is stored once. Processing into signals
    happens after commit; ``processed_at`` stays empty until it has, so a sweeper can re-queue.
    """

    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    provider_sid = models.CharField(_("provider id"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=ContactKind.choices, db_index=True)
    source = models.CharField(
        _("source"), max_length=16, choices=ContactSource.choices, default=ContactSource.WEBHOOK
    )
    from_number = models.CharField(_("from"), max_length=32, blank=True)
    to_number = models.CharField(_("to"), max_length=32, blank=True, db_index=True)
    number = models.ForeignKey(
        CanaryNumber,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        verbose_name=_("canary number"),
    )
    received_at = models.DateTimeField(_("received"), db_index=True)
    stored_at = models.DateTimeField(_("stored"), auto_now_add=True)
    body = models.TextField(_("message text"), blank=True)
    media_urls = models.JSONField(_("media URLs"), default=list, blank=True)
    caller_geo = models.JSONField(_("caller location"), default=dict, blank=True)
    call_status = models.CharField(_("call status"), max_length=32, blank=True)
    call_duration = models.PositiveIntegerField(_("call duration (s)"), null=True, blank=True)
    recording_sid = models.CharField(_("recording id"), max_length=64, blank=True)
    recording_url = models.URLField(_("recording URL"), max_length=500, blank=True)
    recording_duration = models.PositiveIntegerField(_("recording duration (s)"), null=True, blank=True)
    transcript = models.TextField(_("transcript"), blank=True)
    transcript_status = models.CharField(_("transcript status"), max_length=32, blank=True)
    raw = models.JSONField(
        _("raw deliveries"), default=dict, blank=True, help_text=_("Every request as received")
    )
    # What had to change for the delivery to fit its columns (the raw request keeps it whole).
    anomalies = models.JSONField(_("anomalies"), default=list, blank=True)
    claimed_at = models.DateTimeField(_("processing claimed"), null=True, blank=True)
    # The task run holding the claim: its own retry (same task id) may take the claim back at once.
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True, default="")
    processing_attempts = models.PositiveIntegerField(_("processing attempts"), default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True, db_index=True)
    matched_decoys = models.ManyToManyField(
        "campaigns.Decoy", blank=True, related_name="contacts", verbose_name=_("matched decoys")
    )
    signal_strength = models.FloatField(_("signal strength"), null=True, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(
                fields=["stored_at"],
                name="contact_unprocessed",
                condition=models.Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        when = f"{self.received_at:%Y-%m-%d %H:%M}"
        return f"{self.get_kind_display()} {self.from_number} → {self.to_number} {when}"

    @property
    def is_unmatched(self) -> bool:
        return self.processed_at is not None and self.signal_strength is None


class SecurityEvent(models.Model):
    """Refused webhook requests (forged signature, wrong secret), counted per source and minute.

    One row per (kind, source IP, minute) keeps a flood of forged requests from flooding the log.
    """

    kind = models.CharField(_("kind"), max_length=48, db_index=True)
    source_ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    minute = models.DateTimeField(_("minute"), db_index=True)
    count = models.PositiveIntegerField(_("requests"), default=1)
    path = models.CharField(_("path"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-minute"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_ip", "minute"], name="one_security_event_per_minute"
            )
        ]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.kind} {self.source_ip} ×{self.count}"


class TrackingLookup(models.Model):
    """A lookup of a decoy's waybill number on the carrier's tracking service or a platform."""

    decoy = models.ForeignKey(
        "campaigns.Decoy", on_delete=models.PROTECT, related_name="tracking_lookups", verbose_name=_("decoy")
    )
    waybill_no = models.CharField(_("waybill number"), max_length=32)
    looked_up_at = models.DateTimeField(_("looked up"), db_index=True)
    requester_ip = models.GenericIPAddressField(_("requester IP"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    client_id = models.CharField(_("API client / platform"), max_length=100, blank=True)
    # The request signature is unique per delivery: storing it refuses a replayed request.
    nonce = models.CharField(_("delivery signature"), max_length=128, unique=True)
    raw = models.JSONField(_("raw report"), default=dict, blank=True)
    anomalies = models.JSONField(_("anomalies"), default=list, blank=True)
    stored_at = models.DateTimeField(_("stored"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-looked_up_at"]
        verbose_name = _("tracking lookup")
        verbose_name_plural = _("tracking lookups")

    def __str__(self) -> str:
        return f"{self.waybill_no} {self.looked_up_at:%Y-%m-%d %H:%M} {self.requester_ip or ''}"


class CallerInfo(models.Model):
    """Twilio Lookup answer for one caller, cached: the line type says a lot about a scam caller."""

    e164 = models.CharField(_("number (E.164)"), max_length=32, unique=True)
    line_type = models.CharField(_("line type"), max_length=32, blank=True)
    carrier_name = models.CharField(_("carrier"), max_length=100, blank=True)
    caller_name = models.CharField(_("caller name"), max_length=100, blank=True)
    country_code = models.CharField(_("country"), max_length=4, blank=True)
    raw = models.JSONField(_("raw answer"), default=dict, blank=True)
    fetched_at = models.DateTimeField(_("fetched"), auto_now=True)

    class Meta:
        verbose_name = _("caller information")
        verbose_name_plural = _("caller information")

    def __str__(self) -> str:
        return f"{self.e164} {self.line_type}"


class UnreadDelivery(models.Model):
    """An authenticated delivery whose body could not be read (broken or absurdly nested JSON).

    Kept byte for byte with the reason, so the evidence survives and the failure is on record;
    unique on the body's hash so the provider's retries are stored once.
    """

    hook = models.CharField(_("hook"), max_length=32)
    body = models.BinaryField(_("body as received"))
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64, unique=True)
    error = models.TextField(_("why it could not be read"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("unread delivery")
        verbose_name_plural = _("unread deliveries")

    def __str__(self) -> str:
        return f"{self.hook} {self.received_at:%Y-%m-%d %H:%M} {self.error[:60]}"
