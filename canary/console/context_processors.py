"""What the signed-in user may open, so the navigation shows only that."""

from __future__ import annotations

from canary.audit.roles import ROLES, SECURITY_ADMIN, SECURITY_ANALYST, VIEWER, role_of


def console_role(request) -> dict:
    role = role_of(getattr(request, "user", None))
    rank = ROLES.index(role) if role else len(ROLES)
    return {
        "console_role": role,
        "can_view": rank <= ROLES.index(VIEWER),
        "can_analyse": rank <= ROLES.index(SECURITY_ANALYST),
        "can_administer": rank <= ROLES.index(SECURITY_ADMIN),
    }
