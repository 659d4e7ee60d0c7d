from rest_framework.permissions import BasePermission

from canary.audit.roles import is_security


class IsSecurity(BasePermission):
    """Decoy data over the API, like in the console, is for security roles only."""

    message = "A security role is required."

    def has_permission(self, request, view) -> bool:
        return is_security(request.user)
