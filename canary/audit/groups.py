"""The three role groups exist after every migrate, with the admin permissions their role needs.

The admin is only a fallback next to the console: analysts may look at the product's data
there (evidence stays read-only whatever the permission says), security admins may also manage
users and groups. Viewers use the console only.
"""

from __future__ import annotations

from django.apps import apps as global_apps

from .roles import ROLES, SECURITY_ADMIN, SECURITY_ANALYST

PRODUCT_APPS = ("network", "phones", "campaigns", "sightings", "attribution", "alerts")


def ensure_role_groups(apps=global_apps, **kwargs) -> None:
    """Create the role groups; give analysts view permissions and admins every product one."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
    product = Permission.objects.filter(content_type__app_label__in=PRODUCT_APPS)
    groups[SECURITY_ANALYST].permissions.add(*product.filter(codename__startswith="view_"))
    accounts = Permission.objects.filter(
        content_type__app_label="auth", content_type__model__in=("user", "group")
    )
    audit = Permission.objects.filter(content_type__app_label="audit", codename="view_auditevent")
    schedules = Permission.objects.filter(content_type__app_label="django_celery_beat")
    groups[SECURITY_ADMIN].permissions.add(*product, *accounts, *audit, *schedules)
