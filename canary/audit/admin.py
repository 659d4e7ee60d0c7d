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


# Raw task schedules decide when sources are fetched and sweepers run: security admins only
# (analysts change a source's schedule on its console page).
for _model, _stock in list(admin.site._registry.items()):
    if _model._meta.app_label == "django_celery_beat":
        admin.site.unregister(_model)
        admin.site.register(
            _model, type(_stock.__class__.__name__, (SecurityAdminOnlyAdmin, _stock.__class__), {})
        )
