"""Alerts and incidents: who is told what, on which channel, and the evidence behind it.

Every event is kept (``Event``); every (event, channel) pair becomes an ``Alert`` row written
*before* anything is sent, so its id can travel in provider callbacks. Alerts held back by a
throttle window, quiet hours or a daily-digest rule stay in the record as ``held`` and are
counted into the next digest alert.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.IntegerChoices):
    INFO = 10, _("Info")
    WARNING = 20, _("Warning")
    HIGH = 30, _("High")
    CRITICAL = 40, _("Critical")


class EventKind(models.TextChoices):
    SIGNAL = "signal.new", _("New signal")
    STRONG_SIGNAL = "signal.strong", _("New strong signal")
    INCIDENT_OPENED = "incident.opened", _("New incident")
    TOP_NODE_CHANGED = "attribution.top_node_changed", _("Attribution top node changed")
    POSTERIOR_CROSSED = "attribution.posterior_crossed", _("Posterior crossed threshold")
    WATCHER_UNHEALTHY = "watcher.unhealthy", _("Watcher unhealthy")
    CHANNEL_TEST = "channel.test", _("Channel test")


class Team(models.Model):
    """The people who own channels; the SMS quota is counted per team and calendar month."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    monthly_sms_quota = models.PositiveIntegerField(_("monthly SMS quota"), default=200)
    admin_emails = models.JSONField(
        _("admin e-mails"), default=list, blank=True, help_text=_("Told when a channel is disabled")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS (Twilio)")
    WEBHOOK = "webhook", _("Webhook")
    DINGTALK = "dingtalk", _("DingTalk robot")
    WECOM = "wecom", _("WeCom robot")
    FEISHU = "feishu", _("Feishu robot")
    SLACK = "slack", _("Slack")


class Channel(models.Model):
    """One destination: an address list, a phone number or a robot/webhook URL."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="channels", verbose_name=_("team"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    target = models.CharField(
        _("target"),
        max_length=500,
        help_text=_("E-mail addresses (comma-separated), an E.164 number, or a URL"),
    )
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("disabled because"), max_length=500, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=16, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["team__name", "name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Rule(models.Model):
    """Which events alert whom, and how loudly."""

    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    events = models.JSONField(_("events"), default=list, help_text=_("Event kinds; empty means all"))
    min_severity = models.PositiveSmallIntegerField(
        _("minimum severity"), choices=Severity.choices, default=Severity.WARNING
    )
    campaigns = models.ManyToManyField(
        "campaigns.Campaign",
        blank=True,
        related_name="+",
        verbose_name=_("campaigns"),
        help_text=_("Empty: all"),
    )
    channels = models.ManyToManyField(Channel, related_name="rules", verbose_name=_("channels"))
    escalation_channels = models.ManyToManyField(
        Channel,
        blank=True,
        related_name="escalation_rules",
        verbose_name=_("escalation channels"),
        help_text=_("Also told of critical events during quiet hours"),
    )
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    throttle_minutes = models.PositiveIntegerField(
        _("throttle window (minutes)"), default=60, help_text=_("At most one alert per incident per window")
    )
    daily_digest = models.BooleanField(_("daily digest only"), default=False)
    digest_hour = models.PositiveSmallIntegerField(_("digest hour"), default=9)

    class Meta:
        ordering = ["name"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")

    def __str__(self) -> str:
        return self.name


class IncidentState(models.TextChoices):
    NEW = "new", _("New")
    INVESTIGATING = "investigating", _("Investigating")
    CONFIRMED = "confirmed", _("Confirmed")
    FALSE_POSITIVE = "false_positive", _("False positive")
    CLOSED = "closed", _("Closed")


OPEN_STATES = (IncidentState.NEW, IncidentState.INVESTIGATING, IncidentState.CONFIRMED)


class Incident(models.Model):
    """Signals of one campaign that point at one suspected node, gathered within a horizon."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="incidents", verbose_name=_("campaign")
    )
    node = models.ForeignKey(
        "network.Node",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("suspected node"),
    )
    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(
        _("state"), max_length=16, choices=IncidentState.choices, default=IncidentState.NEW, db_index=True
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.HIGH
    )
    posterior = models.FloatField(_("posterior"), null=True, blank=True)
    snapshot = models.JSONField(_("attribution snapshot"), default=dict, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("assignee")
    )
    signals = models.ManyToManyField("attribution.Signal", blank=True, related_name="incidents")
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    last_activity_at = models.DateTimeField(_("last activity"), db_index=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-last_activity_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class TimelineEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=32)
    actor = models.CharField(_("actor"), max_length=150, blank=True)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class EvidenceKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    EXCERPT = "excerpt", _("Excerpt")
    RECORDING = "recording", _("Recording")
    TRANSCRIPT = "transcript", _("Transcript")
    CALL_RECORD = "call_record", _("Call record")
    SIGNAL = "signal", _("Signal")
    SNAPSHOT = "snapshot", _("Attribution snapshot")


class Evidence(models.Model):
    """One item of an incident's evidence; files are hashed when they are added."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=16, choices=EvidenceKind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    source = models.CharField(
        _("source"), max_length=100, blank=True, help_text=_("e.g. attribution.signal:42")
    )
    added_by = models.CharField(_("added by"), max_length=150, blank=True)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "source"], condition=~models.Q(source=""), name="evidence_once_per_source"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    """Something rules may alert on. Never deleted: the record of what happened."""

    kind = models.CharField(_("kind"), max_length=40, choices=EventKind.choices, db_index=True)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class AlertStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    HELD = "held", _("Held for digest")
    DIGESTED = "digested", _("Counted in a digest")


class HoldReason(models.TextChoices):
    THROTTLE = "throttle", _("Throttle window")
    QUIET_HOURS = "quiet_hours", _("Quiet hours")
    DAILY_DIGEST = "daily_digest", _("Daily digest")


class Alert(models.Model):
    """One message to one channel; written before it is sent."""

    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="alerts")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.PENDING, db_index=True
    )
    hold_reason = models.CharField(_("held because"), max_length=16, choices=HoldReason.choices, blank=True)
    release_after = models.DateTimeField(_("release after"), null=True, blank=True)
    escalation = models.BooleanField(_("escalation"), default=False)
    is_digest = models.BooleanField(_("digest"), default=False)
    digest = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="counted",
        verbose_name=_("digest"),
    )
    digest_count = models.PositiveIntegerField(_("events counted"), default=0)
    payload = models.JSONField(_("payload"), default=dict)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Receivers drop a second message with the same key: a send whose result was never written
    # (worker killed between sending and marking) is repeated with it, never as a new alert.
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, editable=False)
    claimed_until = models.DateTimeField(_("sending until"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=64, blank=True)
    delivery_status = models.CharField(_("delivery status"), max_length=32, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["event", "channel"], name="one_alert_per_event_channel")
        ]
        indexes = [models.Index(fields=["channel", "incident", "sent_at"])]

    def __str__(self) -> str:
        return f"alert #{self.pk} → {self.channel_id} ({self.status})"


class DeliveryAttempt(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="delivery_attempts")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    ok = models.BooleanField(_("ok"))
    permanent = models.BooleanField(_("permanent error"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    retry_in = models.PositiveIntegerField(_("retry in (s)"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"alert #{self.alert_id} {'ok' if self.ok else self.error}"


class CaseFileStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Building")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class CaseFile(models.Model):
    """A ZIP for investigators and police: PDF summary, evidence files, hashed manifest."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="case_files")
    status = models.CharField(_("status"), max_length=16, choices=CaseFileStatus.choices, default="queued")
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="casefiles/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    requested_by = models.CharField(_("requested by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case file")
        verbose_name_plural = _("case files")

    def __str__(self) -> str:
        return f"case file #{self.pk} ({self.status})"


class SignalCheck(models.Model):
    """Marks a signal as evaluated by the rules, so the sweeper can find the ones a lost task left."""

    signal = models.OneToOneField("attribution.Signal", on_delete=models.CASCADE, related_name="+")
    checked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"signal #{self.signal_id} checked"


class SelfTestMode(models.TextChoices):
    SIGNAL = "signal", _("Signal (recorded directly)")
    SOURCE = "source", _("Planted into a watched folder")
    SMS = "sms", _("SMS to the decoy's canary number")


class SelfTest(models.Model):
    """A heartbeat: a known self-test decoy fed through a watcher on a schedule.

    ``signal`` records the heartbeat signal directly (queue, worker, rules); ``source`` writes a
    small file naming the decoy into a watched folder and queues its fetch (fetcher, readers,
    matcher, scan); ``sms`` texts the decoy's canary number through Twilio (webhook, contact
    processing). The decoy should belong to a campaign kept only for self-tests; signals naming a
    self-test decoy never raise signal events and never count in attribution.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    decoy = models.ForeignKey("campaigns.Decoy", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(
        _("mode"),
        max_length=8,
        choices=SelfTestMode.choices,
        default=SelfTestMode.SIGNAL,
        help_text=_("Which path the heartbeat travels"),
    )
    source = models.ForeignKey(
        "sightings.Source",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "folder"},
        verbose_name=_("source"),
        help_text=_("Mode “source”: the watched folder the heartbeat file is written to"),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    expected_within_seconds = models.PositiveIntegerField(_("expected within (s)"), default=300)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    last_key = models.CharField(_("last key"), max_length=100, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(_("last latency (ms)"), null=True, blank=True)
    missed = models.BooleanField(_("missed"), default=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("self-test")
        verbose_name_plural = _("self-tests")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from canary.campaigns.models import CampaignStatus
        from canary.sightings.fetchers import folder_root
        from canary.sightings.models import SourceKind

        errors: dict[str, str] = {}
        if self.mode == SelfTestMode.SOURCE:
            if self.source_id is None:
                errors["source"] = _("Choose the watched folder the heartbeat is planted into.")
            elif self.source.kind != SourceKind.FOLDER:
                errors["source"] = _("Only a watched folder can take a planted heartbeat.")
            elif not Path(self.source.path).resolve().is_relative_to(folder_root()):
                errors["source"] = _("The folder must lie under %(root)s.") % {"root": folder_root()}
        elif self.source_id is not None:
            errors["source"] = _("Only the mode “source” uses a source.")
        if self.mode != SelfTestMode.SIGNAL and self.decoy_id is not None:
            decoy = self.decoy
            if decoy.campaign.status not in (CampaignStatus.ACTIVE, CampaignStatus.ENDED):
                errors["decoy"] = _(
                    "The decoy's campaign must be active or ended: the watchers look only for those decoys."
                )
            elif self.mode == SelfTestMode.SMS and decoy.number_id is None:
                errors["decoy"] = _("This decoy has no canary number to text.")
        if errors:
            raise ValidationError(errors)
