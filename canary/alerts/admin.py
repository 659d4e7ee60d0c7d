from django.contrib import admin

from canary.audit.admin_access import ReadOnlyEvidenceAdmin, ReadOnlyEvidenceInline, SecurityOnlyAdmin

from .models import (
    Alert,
    CaseFile,
    Channel,
    DeliveryAttempt,
    Event,
    Evidence,
    Incident,
    Rule,
    SelfTest,
    Team,
    TimelineEntry,
)


@admin.register(Team)
class TeamAdmin(SecurityOnlyAdmin):
    list_display = ("name", "monthly_sms_quota")


@admin.register(Channel)
class ChannelAdmin(SecurityOnlyAdmin):
    list_display = ("name", "team", "kind", "enabled", "last_result", "last_error", "disabled_reason")
    list_filter = ("kind", "enabled", "team")
    readonly_fields = ("last_result", "last_error", "last_attempt_at", "last_success_at", "disabled_at")


@admin.register(Rule)
class RuleAdmin(SecurityOnlyAdmin):
    list_display = (
        "name",
        "enabled",
        "min_severity",
        "throttle_minutes",
        "quiet_start",
        "quiet_end",
        "daily_digest",
    )
    filter_horizontal = ("campaigns", "channels", "escalation_channels")


class TimelineInline(ReadOnlyEvidenceInline):
    model = TimelineEntry


class EvidenceInline(ReadOnlyEvidenceInline):
    model = Evidence
    fields = ("kind", "title", "file", "sha256", "source", "added_at")


@admin.register(Incident)
class IncidentAdmin(SecurityOnlyAdmin):
    list_display = ("id", "title", "campaign", "node", "state", "posterior", "assignee", "last_activity_at")
    list_filter = ("state", "campaign")
    raw_id_fields = ("signals",)
    inlines = [EvidenceInline, TimelineInline]


@admin.register(Event)
class EventAdmin(SecurityOnlyAdmin):
    list_display = ("id", "kind", "severity", "campaign", "incident", "created_at")
    list_filter = ("kind", "severity")


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("at", "ok", "permanent", "error", "retry_in")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # the delivery log is written by the workers only


@admin.register(Alert)
class AlertAdmin(SecurityOnlyAdmin):
    list_display = (
        "id",
        "channel",
        "status",
        "hold_reason",
        "is_digest",
        "digest_count",
        "attempts",
        "created_at",
    )
    list_filter = ("status", "hold_reason", "is_digest", "channel")
    raw_id_fields = ("event", "incident", "digest")
    inlines = [DeliveryAttemptInline]


@admin.register(CaseFile)
class CaseFileAdmin(ReadOnlyEvidenceAdmin):
    list_display = ("id", "incident", "status", "progress", "sha256", "created_at")


@admin.register(SelfTest)
class SelfTestAdmin(SecurityOnlyAdmin):
    list_display = (
        "name",
        "mode",
        "source",
        "enabled",
        "last_sent_at",
        "last_seen_at",
        "last_latency_ms",
        "missed",
        "last_error",
    )
    list_filter = ("mode", "enabled", "missed")
    raw_id_fields = ("decoy",)
    readonly_fields = ("last_sent_at", "last_key", "last_seen_at", "last_latency_ms", "last_error")
