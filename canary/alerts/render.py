"""What an alert says: one title and body, rendered for each transport from the stored payload.

The payload is built when the alert row is written (see ``services.build_payload``) so a
retry sends exactly the same words; rendering happens in the team's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Message:
    title: str
    lines: list[str]
    url: str

    @property
    def text(self) -> str:
        return "\n".join([self.title, *self.lines, self.url]).strip()

    @property
    def markdown(self) -> str:
        body = "\n".join(f"- {line}" for line in self.lines)
        link = f"\n\n[{_('Open in console')}]({self.url})" if self.url else ""
        return f"### {self.title}\n\n{body}{link}"

    @property
    def short(self) -> str:
        """One SMS segment's worth where possible: title and the suspected node."""
        return " ".join([self.title, *self.lines[:2], self.url]).strip()[:300]


def _suspect_line(suspects: list[dict[str, Any]]) -> str:
    parts = []
    for suspect in suspects[:3]:
        posterior = suspect.get("posterior")
        share = f" {posterior:.0%}" if isinstance(posterior, int | float) else ""
        parts.append(f"{suspect.get('code', '')} {suspect.get('name', '')}{share}".strip())
    return _("Suspected node: %(nodes)s") % {"nodes": "; ".join(parts)}


def render(payload: dict[str, Any]) -> Message:
    with translation.override(settings.LANGUAGE_CODE):
        return _render(payload)


def _render(payload: dict[str, Any]) -> Message:
    lines: list[str] = []
    if payload.get("digest"):
        digest = payload["digest"]
        title = _("[Canary] Digest: %(count)d events held back") % {"count": digest["count"]}
        for item in digest["items"]:
            lines.append(
                _("%(count)d × %(event)s — %(subject)s")
                % {"count": item["count"], "event": item["event_label"], "subject": item["subject"]}
            )
        return Message(title, lines, payload.get("url", ""))
    title = _("[Canary][%(severity)s] %(event)s") % {
        "severity": payload.get("severity_label", ""),
        "event": payload.get("event_label", ""),
    }
    if payload.get("campaign"):
        lines.append(_("Campaign: %(name)s (%(slug)s)") % payload["campaign"])
    if payload.get("incident"):
        lines.append(_("Incident #%(id)s: %(title)s") % payload["incident"])
    if payload.get("suspects"):
        lines.append(_suspect_line(payload["suspects"]))
    if payload.get("signal"):
        signal = payload["signal"]
        lines.append(
            _("Signal: %(kind)s, strength %(strength).2f, first seen %(seen)s")
            % {
                "kind": signal.get("kind_label", ""),
                "strength": signal.get("strength", 0),
                "seen": signal["seen"],
            }
        )
        if signal.get("summary"):
            lines.append(signal["summary"])
    if payload.get("detail"):
        lines.append(str(payload["detail"]))
    return Message(title, lines, payload.get("url", ""))
