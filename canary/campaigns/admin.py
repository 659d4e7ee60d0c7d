from django.contrib import admin

from canary.audit.admin_access import ReadOnlyEvidenceAdmin, ReadOnlyEvidenceInline, SecurityOnlyAdmin

from .models import Campaign, CampaignTarget, Decoy, Exposure, WaybillCursor

__all__ = ["SecurityOnlyAdmin"]  # other apps' admins imported it from here


class CampaignTargetInline(ReadOnlyEvidenceInline):
    model = CampaignTarget


@admin.register(Campaign)
class CampaignAdmin(SecurityOnlyAdmin):
    list_display = (
        "slug",
        "name",
        "carrier",
        "strategy",
        "decoys_per_node",
        "status",
        "starts_at",
        "ends_at",
    )
    list_filter = ("status", "carrier", "strategy")
    search_fields = ("slug", "name")
    inlines = [CampaignTargetInline]
    # The status changes only through the console's audited campaign actions.
    readonly_fields = ("status", "created_at", "activated_at", "ended_at")


class ExposureInline(ReadOnlyEvidenceInline):
    model = Exposure


@admin.register(Decoy)
class DecoyAdmin(ReadOnlyEvidenceAdmin):
    list_display = (
        "waybill_no",
        "campaign",
        "target",
        "recipient_name",
        "recipient_phone",
        "city",
        "is_control",
    )
    list_filter = ("campaign", "carrier", "is_control", "item_category")
    search_fields = ("waybill_no", "recipient_name", "recipient_phone", "address_token", "name_key")
    list_select_related = ("campaign", "target")
    raw_id_fields = ("number", "origin", "destination", "target")
    inlines = [ExposureInline]


@admin.register(Exposure)
class ExposureAdmin(ReadOnlyEvidenceAdmin):
    list_display = ("decoy", "node", "channel", "visible_from", "visible_until")
    list_filter = ("channel", "decoy__campaign")
    search_fields = ("decoy__waybill_no", "node__code")
    raw_id_fields = ("decoy", "node")
    list_select_related = ("decoy", "node")


@admin.register(WaybillCursor)
class WaybillCursorAdmin(SecurityOnlyAdmin):
    list_display = ("carrier", "first_serial", "last_serial", "next_serial")
