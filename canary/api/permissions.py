from rest_framework.permissions import BasePermission

from canary.audit.roles import is_security, is_viewer_or_above


class IsSecurity(BasePermission):
    """Decoy data over the API, like in the console, is for security roles only."""

    message = "A security role is required."

    def has_permission(self, request, view) -> bool:
        return is_security(request.user)


class IsViewer(BasePermission):
    """The network and rankings, without decoy identities: any console role, viewer included."""

    message = "A console role is required."

    def has_permission(self, request, view) -> bool:
        return is_viewer_or_above(request.user)
