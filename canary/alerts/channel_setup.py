"""Creating a channel from plain arguments (the ``add_channel`` command), with clear errors."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from .channels.email import recipients
from .models import Channel, ChannelKind, Team

URL_KINDS = (
    ChannelKind.WEBHOOK,
    ChannelKind.DINGTALK,
    ChannelKind.WECOM,
    ChannelKind.FEISHU,
    ChannelKind.SLACK,
)
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
DEFAULT_TEAM = "security"


def target_for(kind: str, url: str = "", to: str = "", secret: str = "") -> str:
    """The channel's target for its kind; ``ValidationError`` says what is missing or wrong."""
    if kind not in ChannelKind.values:
        raise ValidationError(_("Unknown channel kind %(kind)s.") % {"kind": kind})
    if kind in URL_KINDS:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(
                _("A %(kind)s channel needs --url with an http(s) address.") % {"kind": kind}
            )
        if kind == ChannelKind.WEBHOOK and not secret:
            raise ValidationError(_("A webhook channel needs --secret: receivers check the signature."))
        return url
    if kind == ChannelKind.EMAIL:
        addresses = recipients(to)
        if not addresses:
            raise ValidationError(_("An e-mail channel needs --to with one or more addresses."))
        for address in addresses:
            validate_email(address)
        return ", ".join(addresses)
    if not E164.match(to):
        raise ValidationError(
            _("An SMS channel needs --to with a number in E.164 form, e.g. +8613800138000.")
        )
    return to


def team_for(name: str = "") -> Team:
    """The named team; without a name, the only team, or a new one when there is none."""
    if name:
        return Team.objects.get_or_create(name=name)[0]
    teams = list(Team.objects.order_by("pk")[:2])
    if len(teams) == 1:
        return teams[0]
    if not teams:
        return Team.objects.create(name=DEFAULT_TEAM)
    raise ValidationError(_("There are several teams: name one with --team."))


@transaction.atomic
def add_channel(
    kind: str, name: str, *, url: str = "", to: str = "", secret: str = "", team: str = ""
) -> Channel:
    target = target_for(kind, url=url, to=to, secret=secret)
    return Channel.objects.create(team=team_for(team), kind=kind, name=name, target=target, secret=secret)
