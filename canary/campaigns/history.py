"""A campaign's status history: every transition, by whom and why, beside the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from .messages import SEPARATOR, stored_parts
from .models import Campaign, CampaignStatusChange

MAX_REASON = 2000


def record_transition(
    campaign: Campaign,
    from_status: str,
    to_status: str,
    actor: str | None = None,
    reason: str | Sequence[str] = "",
) -> CampaignStatusChange:
    """Store one step of the campaign's life; call it in the transaction that made the step.

    ``reason`` is one text or several (joined); ``Message`` parts are kept for the console to
    translate, the English text for everything else.
    """
    reasons = [reason] if isinstance(reason, str) else list(reason)
    return CampaignStatusChange.objects.create(
        campaign=campaign,
        from_status=from_status,
        to_status=to_status,
        actor=actor or "",
        reason=SEPARATOR.join(reasons)[:MAX_REASON],
        reason_parts=stored_parts(r for r in reasons if r),
    )
