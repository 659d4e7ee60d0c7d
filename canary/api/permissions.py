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
    """``view.read_role`` for safe methods, ``view.write_role`` for the others (analyst by default).

    No credentials answer 401; credentials whose role falls short answer 403 ``role_required``.
    """

    def needed_role(self, request, view) -> str:
        return getattr(
            view, "read_role" if request.method in SAFE_METHODS else "write_role", SECURITY_ANALYST
        )

    def has_permission(self, request, view) -> bool:
        if not request.user.is_authenticated:
            return False
        if ROLE_RANK[request_role(request)] < ROLE_RANK[self.needed_role(request, view)]:
            raise RoleTooLow
        return True


class IsSecurity(RoleRequired):
    """Security roles only, whatever the method (the schema and the docs pages)."""

    def needed_role(self, request, view) -> str:
        return SECURITY_ANALYST
