"""Messages that read in English where they are printed (commands, logs, the API, the audit log)
and in the reader's language in the console.

A ``Message`` is a plain ``str`` holding the English text, so callers that join, compare or
serialise problems keep working; it also remembers its msgid template and values, which the
console translates with ``translated``. Templates are marked with ``gettext_noop`` where they are
written, so ``makemessages`` finds them. A value may itself be a ``Message`` or a lazy
translation (a status name): it reads in English in the text and translated in the console.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext, override

SEPARATOR = "; "


class Message(str):
    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Message:
        with override("en"):
            message = super().__new__(cls, template % {k: str(v) for k, v in values.items()})
        message.template, message.values = template, values
        return message

    def parts(self) -> list:
        """JSON-safe form, for storing beside the English text (nested messages kept)."""
        return [
            self.template,
            {k: v.parts() if isinstance(v, Message) else v for k, v in self.values.items()},
        ]


def _render(template: str, values: dict[str, Any]) -> str:
    return gettext(template) % {
        k: _render(*v) if isinstance(v, list) else translated(v) for k, v in values.items()
    }


def message_of(error: Exception) -> str:
    """The error's ``Message`` when it was raised with one, else its English text."""
    first = error.args[0] if len(error.args) == 1 else None
    return first if isinstance(first, Message) else str(error)


def translated(text: Any) -> str:
    """``text`` in the active language when it is a ``Message``; any other text as it is."""
    if isinstance(text, Message):
        return _render(*text.parts())
    return str(text)


def translated_all(texts: Iterable[str]) -> list[str]:
    return [translated(text) for text in texts]


def stored_parts(texts: Iterable[str]) -> list[list]:
    """The translatable parts of ``texts`` for a JSON column ([] unless all are JSON-safe Messages)."""
    texts = list(texts)
    if not all(isinstance(text, Message) for text in texts):
        return []
    parts = [text.parts() for text in texts]
    try:
        json.dumps(parts)
    except TypeError:  # a lazy value (a status name): keep the English text only
        return []
    return parts


def translated_parts(parts: list[list], fallback: str) -> str:
    """Stored parts joined in the active language; ``fallback`` (the English) when none."""
    if not parts:
        return fallback
    return SEPARATOR.join(_render(template, values) for template, values in parts)
