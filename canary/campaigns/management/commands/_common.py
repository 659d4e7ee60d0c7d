"""Shared bits of the campaign commands."""

from django.core.management.base import CommandError, OutputWrapper

from canary.campaigns.models import Campaign


def get_campaign(slug: str) -> Campaign:
    try:
        return Campaign.objects.get(slug=slug)
    except Campaign.DoesNotExist:
        raise CommandError(f"no campaign with slug {slug!r}") from None


class PlainOutput:
    """A command's stdout as a plain text stream for exports written piece by piece
    (``OutputWrapper.write`` would end every piece with a newline)."""

    def __init__(self, stdout: OutputWrapper) -> None:
        self.stdout = stdout

    def write(self, text: str) -> None:
        self.stdout.write(text, ending="")
