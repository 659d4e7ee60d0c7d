"""Who may call what: each view names the role it needs to read and to write."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from canary.audit.roles import SECURITY_ANALYST

from .exceptions import RoleTooLow
from .tokens import ROLE_RANK, effective_role


def request_role(request) -> str | None:
    """The role of this request: its user's, capped by the API token's scope."""
    if not hasattr(request, "_canary_role"):
        token = request.auth if hasattr(request.auth, "scope") else None
        request._canary_role = effective_role(request.user, token)
    return request._canary_role


class RoleRequired(BasePermission):
    """``view.read_role`` for safe methods, ``view.write_role`` for the others (analyst by default)."""

    def has_permission(self, request, view) -> bool:
        needed = getattr(
            view, "read_role" if request.method in SAFE_METHODS else "write_role", SECURITY_ANALYST
        )
        if request.user.is_authenticated and ROLE_RANK[request_role(request)] < ROLE_RANK[needed]:
            raise RoleTooLow
        return request.user.is_authenticated


class IsSecurity(RoleRequired):
    """Security roles only, whatever the method (the schema and the docs)."""

    def has_permission(self, request, view) -> bool:
        view_roles = type("Roles", (), {"read_role": SECURITY_ANALYST, "write_role": SECURITY_ANALYST})
        return super().has_permission(request, view_roles)
