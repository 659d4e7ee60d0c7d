"""Alerts on by default: the rule that applies until the team writes its own.

With no ``Rule`` row at all, every opened or escalated incident and every strong signal of an
active campaign goes to every enabled channel. The first rule a team saves (even a disabled one)
replaces it: from then on the team's rules alone decide. ``incident_receivers()`` answers "would
anyone be told of a new incident?" for the console's warning banner.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from canary.campaigns.models import CampaignStatus

from .models import Channel, Event, EventKind, Rule, Severity

DEFAULT_EVENTS = (
    EventKind.INCIDENT_OPENED,
    EventKind.TOP_NODE_CHANGED,
    EventKind.POSTERIOR_CROSSED,
    EventKind.STRONG_SIGNAL,
)


def team_has_rules() -> bool:
    return Rule.objects.exists()


def default_rule() -> Rule:
    """The default rule, unsaved: its quiet hours (none) and throttle govern what it sends."""
    return Rule(name=str(_("Default rule")), events=list(DEFAULT_EVENTS), min_severity=Severity.INFO)


def default_rule_covers(event: Event) -> bool:
    if event.kind not in DEFAULT_EVENTS:
        return False
    if event.kind == EventKind.STRONG_SIGNAL:
        return event.campaign is not None and event.campaign.status == CampaignStatus.ACTIVE
    return True


def incident_receivers() -> QuerySet[Channel]:
    """The enabled channels that a newly opened incident would reach."""
    enabled = Channel.objects.filter(enabled=True)
    if not team_has_rules():
        return enabled
    rule_ids = [
        rule.pk
        for rule in Rule.objects.filter(enabled=True, min_severity__lte=Severity.HIGH)
        if not rule.events or EventKind.INCIDENT_OPENED in rule.events
    ]
    return enabled.filter(rules__in=rule_ids).distinct()
