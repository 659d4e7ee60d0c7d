from django.contrib import admin

from canary.audit.roles import is_security
from canary.audit.services import record_request

from .models import Campaign, CampaignTarget, Decoy, Exposure, WaybillCursor


class SecurityOnlyAdmin(admin.ModelAdmin):
    """Decoy data is for security roles only, and every look at it is audited."""

    def has_module_permission(self, request):
        return is_security(request.user) and super().has_module_permission(request)

    # Every permission, not just viewing: Django lets a change permission open the page too, and
    # a staff account given model permissions without a security role must still see nothing.
    def has_view_permission(self, request, obj=None):
        return is_security(request.user) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return is_security(request.user) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_security(request.user) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return is_security(request.user) and super().has_delete_permission(request, obj)

    def changelist_view(self, request, extra_context=None):
        record_request(request, f"admin.list.{self.model._meta.model_name}", query=request.GET.urlencode())
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record_request(request, f"admin.view.{self.model._meta.model_name}", object_id=object_id)
        return super().change_view(request, object_id, form_url, extra_context)


class CampaignTargetInline(admin.TabularInline):
    model = CampaignTarget
    extra = 0
    autocomplete_fields = ("node",)


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
    readonly_fields = ("created_at", "activated_at", "ended_at")


class ExposureInline(admin.TabularInline):
    model = Exposure
    extra = 0
    autocomplete_fields = ("node",)


@admin.register(Decoy)
class DecoyAdmin(SecurityOnlyAdmin):
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
class ExposureAdmin(SecurityOnlyAdmin):
    list_display = ("decoy", "node", "channel", "visible_from", "visible_until")
    list_filter = ("channel", "decoy__campaign")
    search_fields = ("decoy__waybill_no", "node__code")
    raw_id_fields = ("decoy", "node")
    list_select_related = ("decoy", "node")


@admin.register(WaybillCursor)
class WaybillCursorAdmin(SecurityOnlyAdmin):
    list_display = ("carrier", "first_serial", "last_serial", "next_serial")
