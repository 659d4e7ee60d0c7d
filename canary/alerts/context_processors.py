"""Template context for every console page: is anyone told when an incident opens?"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .defaults import incident_receivers


def alert_health(request: HttpRequest) -> dict[str, Any]:
    """``alerts_unheard``: True while no enabled channel would receive a new incident (signed-in
    users only; anonymous pages make no query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"alerts_unheard": False}
    return {"alerts_unheard": not incident_receivers().exists()}
