from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from .admin_access import EvidenceReadOnly, SecurityAdminOnlyAdmin
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(EvidenceReadOnly, SecurityAdminOnlyAdmin):
    """The audit trail names decoy waybills and is append-only: security admins read it."""

    list_display = ("at", "actor", "action", "object_type", "object_id", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("actor", "object_id", "action")
    date_hierarchy = "at"


# Whoever manages accounts decides who sees decoys: staff without the security admin role must
# not be able to add themselves (or anyone) to a security group.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class SecurityUserAdmin(SecurityAdminOnlyAdmin, UserAdmin):
    pass


@admin.register(Group)
class SecurityGroupAdmin(SecurityAdminOnlyAdmin, GroupAdmin):
    pass
