from django.contrib import admin

from canary.audit.admin_access import ReadOnlyEvidenceAdmin, SecurityOnlyAdmin

from .models import AttributionSnapshot, RecomputeState, Signal


@admin.register(Signal)
class SignalAdmin(ReadOnlyEvidenceAdmin):
    list_display = ("first_seen_at", "campaign", "kind", "strength", "occurrences", "summary")
    list_filter = ("kind", "campaign", "full_phone_of_privacy_label")
    search_fields = ("summary", "origin", "dedupe_key", "decoys__waybill_no")
    date_hierarchy = "first_seen_at"
    filter_horizontal = ("decoys",)


@admin.register(AttributionSnapshot)
class AttributionSnapshotAdmin(ReadOnlyEvidenceAdmin):
    list_display = ("computed_at", "campaign", "top_node", "top_posterior", "noise_only", "signals_count")
    list_filter = ("campaign",)
    date_hierarchy = "computed_at"
    # Results are the engine's record of what it knew then: never edited by hand.
    readonly_fields = (
        "campaign",
        "computed_at",
        "signals_count",
        "top_node",
        "top_posterior",
        "noise_only",
        "result",
    )


@admin.register(RecomputeState)
class RecomputeStateAdmin(SecurityOnlyAdmin):
    list_display = ("campaign", "generation", "computed_generation", "queued_at", "updated_at")
    readonly_fields = ("campaign", "generation", "computed_generation", "queued_at", "updated_at")

    def has_add_permission(self, request):
        return False
