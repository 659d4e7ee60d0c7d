from django.contrib import admin

from canary.audit.admin_access import ReadOnlyEvidenceAdmin, SecurityOnlyAdmin

from .models import CallerInfo, CanaryNumber, Contact, NumberAssignment, SecurityEvent, TrackingLookup


@admin.register(CanaryNumber)
class CanaryNumberAdmin(SecurityOnlyAdmin):
    list_display = ("e164", "provider", "status", "campaign", "quarantined_until")
    list_filter = ("provider", "status")
    search_fields = ("e164", "provider_sid", "notes")


@admin.register(NumberAssignment)
class NumberAssignmentAdmin(ReadOnlyEvidenceAdmin):
    list_display = ("number", "campaign", "assigned_at", "released_at")
    list_filter = ("campaign",)
    search_fields = ("number__e164",)


@admin.register(Contact)
class ContactAdmin(ReadOnlyEvidenceAdmin):
    list_display = (
        "received_at",
        "kind",
        "from_number",
        "to_number",
        "source",
        "signal_strength",
        "processed_at",
        "provider_sid",
    )
    list_filter = ("kind", "provider", "source")
    search_fields = ("provider_sid", "from_number", "to_number", "body", "transcript")
    date_hierarchy = "received_at"


@admin.register(TrackingLookup)
class TrackingLookupAdmin(ReadOnlyEvidenceAdmin):
    list_display = ("looked_up_at", "waybill_no", "requester_ip", "client_id", "processed_at")
    search_fields = ("waybill_no", "requester_ip", "client_id", "user_agent")
    date_hierarchy = "looked_up_at"


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyEvidenceAdmin):
    list_display = ("minute", "kind", "source_ip", "count", "path")
    list_filter = ("kind",)
    search_fields = ("source_ip",)


@admin.register(CallerInfo)
class CallerInfoAdmin(ReadOnlyEvidenceAdmin):
    list_display = ("e164", "line_type", "carrier_name", "caller_name", "fetched_at")
    search_fields = ("e164", "caller_name")
