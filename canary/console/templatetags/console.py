"""Template helpers for the console: words for stored codes."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Timeline entries store a short code; the console shows words in the reader's language.
TIMELINE_KINDS = {
    "opened": _("Opened"),
    "signal": _("Signal"),
    "attribution": _("Attribution"),
    "evidence": _("Evidence added"),
    "state": _("State changed"),
    "assign": _("Assigned"),
    "note": _("Note"),
}


@register.filter
def timeline_kind(code: str) -> str:
    return TIMELINE_KINDS.get(code, code)
