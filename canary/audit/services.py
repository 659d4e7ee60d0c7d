"""Recording who looked at or exported decoy data."""

from __future__ import annotations

import getpass
from typing import Any

from django.db import models

from .models import AuditEvent


def cli_actor() -> str:
    """The actor name for management commands: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - getuser can fail in odd containers; audit must not
        return "cli:unknown"


def record(
    action: str,
    *,
    user: Any = None,
    actor: str | None = None,
    obj: models.Model | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Write one audit event. ``user`` is a Django user (or anonymous); ``actor`` overrides."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        actor=actor or (user.get_username() if authenticated else cli_actor()),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=ip,
        detail=detail,
    )


def record_request(request: Any, action: str, obj: models.Model | None = None, **detail: Any) -> AuditEvent:
    """Audit a web request by its user and client address."""
    return record(action, user=request.user, obj=obj, ip=request.META.get("REMOTE_ADDR"), **detail)
