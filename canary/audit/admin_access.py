"""Who may use which admin page, and the one rule that makes evidence read-only there.

The admin is a fallback for data the console does not show yet; it never edits evidence.
"""

from __future__ import annotations

from django.contrib import admin

from .roles import is_security, is_security_admin
from .services import record_request


class SecurityOnlyAdmin(admin.ModelAdmin):
    """Decoy data is for security roles only, and every look at it is audited."""

    def allowed(self, request) -> bool:
        return is_security(request.user)

    def has_module_permission(self, request):
        return self.allowed(request) and super().has_module_permission(request)

    # Every permission, not just viewing: Django lets a change permission open the page too, and
    # a staff account given model permissions without a security role must still see nothing.
    def has_view_permission(self, request, obj=None):
        return self.allowed(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.allowed(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self.allowed(request) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return self.allowed(request) and super().has_delete_permission(request, obj)

    def changelist_view(self, request, extra_context=None):
        record_request(request, f"admin.list.{self.model._meta.model_name}", query=request.GET.urlencode())
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record_request(request, f"admin.view.{self.model._meta.model_name}", object_id=object_id)
        return super().change_view(request, object_id, form_url, extra_context)


class SecurityAdminOnlyAdmin(SecurityOnlyAdmin):
    """Users, groups and the audit log: the security admin's alone."""

    def allowed(self, request) -> bool:
        return is_security_admin(request.user)


class EvidenceReadOnly:
    """Evidence is never edited by hand, superusers included: it would no longer stand in a
    police report. Corrections go through audited console actions; deletion only through the
    audited ``purge_evidence`` retention command. Mix into a ModelAdmin or an inline."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # The bulk "delete selected" would bypass the retention command.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ReadOnlyEvidenceAdmin(EvidenceReadOnly, SecurityOnlyAdmin):
    """A security-only admin page for one evidence model."""


class ReadOnlyEvidenceInline(EvidenceReadOnly, admin.TabularInline):
    """Evidence shown inside another admin page, never edited there."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]
