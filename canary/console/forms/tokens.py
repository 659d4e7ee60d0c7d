from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from canary.api.models import TokenScope
from canary.api.tokens import ROLE_RANK, SCOPE_ROLE
from canary.audit.roles import role_of

MAX_EXPIRY_DAYS = 3650


def scopes_for(user: Any) -> list[tuple[str, str]]:
    """The scopes ``user`` may give a token: none above the role they hold."""
    held = ROLE_RANK[role_of(user)]
    return [(value, label) for value, label in TokenScope.choices if ROLE_RANK[SCOPE_ROLE[value]] <= held]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, e.g. the order system or the SOC crawler."),
    )
    scope = forms.ChoiceField(label=_("Scope"))
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        required=False,
        help_text=_("Leave empty for a token that does not expire."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = scopes_for(user)
        self.fields["scope"].choices = choices
        # The weakest scope first chosen: a token should carry no more than it needs.
        self.fields["scope"].initial = choices[-1][0] if choices else None
