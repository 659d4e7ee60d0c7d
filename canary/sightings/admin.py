from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from canary.audit.admin_access import ReadOnlyEvidenceAdmin, ReadOnlyEvidenceInline, SecurityOnlyAdmin
from canary.audit.roles import is_security_admin

from .models import Document, Sighting, Source


@admin.register(Source)
class SourceAdmin(SecurityOnlyAdmin):
    list_display = ("name", "kind", "enabled", "every_minutes", "last_fetched_at", "last_status", "failures")
    list_filter = ("kind", "enabled", "internal")
    search_fields = ("name", "url", "path")
    readonly_fields = (
        "schedule",
        "etag",
        "last_modified",
        "last_fetched_at",
        "last_status",
        "last_error",
        "failures",
    )

    def get_readonly_fields(self, request, obj=None):
        # Only a security admin may let a source reach private or loopback addresses.
        extra = () if is_security_admin(request.user) else ("internal",)
        return (*self.readonly_fields, *extra)


class SightingInline(ReadOnlyEvidenceInline):
    model = Sighting
    fields = ("decoy", "candidate_count", "kinds", "strength", "location", "excerpt")


@admin.register(Document)
class DocumentAdmin(ReadOnlyEvidenceAdmin):
    list_display = ("name", "source", "size", "status", "fetched_at", "seen_at")
    list_filter = ("status", "source")
    search_fields = ("name", "sha256")
    readonly_fields = (
        "sha256",
        "file",
        "name",
        "size",
        "content_type",
        "source",
        "fetched_at",
        "status",
        "error",
        "chunks_total",
        "chunks_finished",
    )
    inlines = [SightingInline]
    actions = ["rescan"]

    @admin.action(description=_("Scan again"))
    def rescan(self, request, queryset):
        from .services import enqueue_scan

        for document in queryset:
            enqueue_scan(document.pk)


@admin.register(Sighting)
class SightingAdmin(ReadOnlyEvidenceAdmin):
    list_display = (
        "decoy",
        "candidate_count",
        "campaign",
        "strength",
        "kinds",
        "location",
        "document",
        "created_at",
    )
    list_filter = ("strength", "campaign")
    search_fields = ("decoy__waybill_no", "location", "excerpt")
    readonly_fields = (
        "document",
        "campaign",
        "decoy",
        "kinds",
        "strength",
        "candidate_count",
        "candidates",
        "evidence_key",
        "location",
        "excerpt",
        "signalled",
    )
    list_select_related = ("decoy", "campaign", "document")
