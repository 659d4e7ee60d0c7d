"""Who may see what: three roles, each a Django group.

- ``security_admin``: everything, users and the audit log included.
- ``security_analyst``: campaigns, decoys, signals, incidents, uploads, sources; no users, no
  audit log.
- ``viewer``: dashboard, network, rankings and incidents **without decoy identities** (no
  recipient names, phones, addresses or waybill numbers) and no exports.

A superuser counts as ``security_admin``. Depot staff get accounts without these groups and
never see a decoy listed.
"""

from __future__ import annotations

from typing import Any

SECURITY_ADMIN = "security_admin"
SECURITY_ANALYST = "security_analyst"
VIEWER = "viewer"
SECURITY_GROUPS = (SECURITY_ADMIN, SECURITY_ANALYST)
ROLES = (SECURITY_ADMIN, SECURITY_ANALYST, VIEWER)


def role_of(user: Any) -> str | None:
    """The strongest role ``user`` holds, or None for no role (or an inactive user)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if user.is_superuser:
        return SECURITY_ADMIN
    names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return next((role for role in ROLES if role in names), None)


def is_security(user: Any) -> bool:
    """May see decoy identities: a security admin or analyst."""
    return role_of(user) in SECURITY_GROUPS


def is_security_admin(user: Any) -> bool:
    return role_of(user) == SECURITY_ADMIN


def has_role(user: Any, minimum: str) -> bool:
    """Holds ``minimum`` or a stronger role (``ROLES`` runs from strongest to weakest)."""
    held = role_of(user)
    return held is not None and ROLES.index(held) <= ROLES.index(minimum)
