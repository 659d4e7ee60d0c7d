"""A campaign's status history: every transition, by whom and why, beside the audit log."""

from __future__ import annotations

from .models import Campaign, CampaignStatusChange


def record_transition(
    campaign: Campaign, from_status: str, to_status: str, actor: str | None = None, reason: str = ""
) -> CampaignStatusChange:
    """Store one step of the campaign's life; call it in the transaction that made the step."""
    return CampaignStatusChange.objects.create(
        campaign=campaign, from_status=from_status, to_status=to_status, actor=actor or "", reason=reason
    )
