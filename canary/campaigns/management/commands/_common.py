"""Shared bits of the campaign commands."""

from django.core.management.base import CommandError

from canary.campaigns.models import Campaign


def get_campaign(slug: str) -> Campaign:
    try:
        return Campaign.objects.get(slug=slug)
    except Campaign.DoesNotExist:
        raise CommandError(f"no campaign with slug {slug!r}") from None
