"""Who may see decoy data: security roles only.

A user is in a security role when they are a superuser or belong to one of the groups
below. Depot staff get accounts without these groups and never see a decoy listed.
"""

from __future__ import annotations

from typing import Any

SECURITY_ADMIN = "security_admin"
SECURITY_ANALYST = "security_analyst"
SECURITY_GROUPS = (SECURITY_ADMIN, SECURITY_ANALYST)


def is_security(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=SECURITY_GROUPS).exists()


def is_security_admin(user: Any) -> bool:
    if not is_security(user):
        return False
    return user.is_superuser or user.groups.filter(name=SECURITY_ADMIN).exists()
