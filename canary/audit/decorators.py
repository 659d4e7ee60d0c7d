"""One gate for every console page: log in, then hold at least a given role.

A refusal is recorded in the audit log before the styled 403 page is shown, so probing for
decoy data leaves a trace.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .roles import SECURITY_ANALYST, has_role, role_of
from .services import record_request


def refuse(request: Any, required: str) -> PermissionDenied:
    """Audit a refused request and return the exception that renders the 403 page."""
    record_request(
        request,
        "access.denied",
        path=request.get_full_path()[:500],
        method=request.method,
        required=required,
        role=role_of(request.user) or "",
    )
    return PermissionDenied(required)


def security_required(view: Callable | str | None = None, *, role: str = SECURITY_ANALYST) -> Callable:
    """Allow a view to users holding ``role`` or a stronger one (default: security analyst).

    Use bare (``@security_required``) for pages that show decoy data, or with the minimum role
    (``@security_required(VIEWER)``, ``@security_required(SECURITY_ADMIN)``).
    """
    if isinstance(view, str):
        role, view = view, None

    def decorate(func: Callable) -> Callable:
        @login_required
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, role):
                raise refuse(request, role)
            return func(request, *args, **kwargs)

        wrapper.required_role = role
        return wrapper

    return decorate(view) if view is not None else decorate
