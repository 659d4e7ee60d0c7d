"""Template helpers for the console: words for stored codes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
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


# What a sighting matched on, in the reader's language.
MATCH_KINDS = {
    "waybill": _("waybill number"),
    "phone": _("phone number"),
    "name": _("recipient name"),
    "address": _("address marker"),
    "masked_phone": _("masked phone"),
    "masked_name": _("masked name"),
}


@register.filter
def match_kinds(codes: list[str]) -> str:
    return "、".join(str(MATCH_KINDS.get(code, code)) for code in codes or ())


@register.filter
def highlight(excerpt: str, decoy) -> str:
    """The excerpt, escaped, with the decoy's waybill number, name and phone (full or masked)
    marked; evidence that fits several decoys is shown unmarked."""
    text = escape(excerpt or "")
    if decoy is None:
        return mark_safe(text)
    national = decoy.recipient_phone.removeprefix("+86")
    patterns = [
        re.escape(escape(term)) for term in (decoy.waybill_no, decoy.recipient_name, national) if term
    ]
    if len(national) == 11:
        patterns.append(rf"{national[:3]}[*＊∗✱xX×]{{4}}{national[-4:]}")
    if len(decoy.recipient_name) >= 2:
        name = decoy.recipient_name
        patterns.append(rf"{re.escape(name[0])}[*＊∗✱]{{1,2}}{re.escape(name[-1])}")
    marked = re.sub("|".join(patterns), lambda m: f"<mark>{m.group(0)}</mark>", text)
    return mark_safe(marked)


@register.filter
def media_url(url: str) -> str:
    """Only http(s) URLs become links or players: a stored ``javascript:`` URL renders nothing."""
    return url if urlsplit(url or "").scheme in ("http", "https") else ""
