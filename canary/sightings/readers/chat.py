"""Chat exports: Telegram Desktop ``result.json`` and QQ/WeChat text exports.

Each message becomes one record (its lines joined), so a name on one line and a phone on the next
line of the same message still count as one record for the matcher. Text exports are recognised
here and read in place as line documents (``readers.lines``): a message starts at a :data:`HEADER`
line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from canary.sightings.readers.base import Limits, ReaderError, TextChunk

_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?"
# QQ: "2024-05-01 10:20:30 张三(12345)"; WeChat exporters also write "张三 2024-05-01 10:20:30".
HEADER = re.compile(rf"^\s*(?:({_DATE})\s+(\S.*?)|(\S.*?)\s+({_DATE}))\s*$")
_QQ_TITLE = "消息记录"


def is_telegram_export(document: object) -> bool:
    if not isinstance(document, dict):
        return False
    return isinstance(document.get("messages"), list) or isinstance(document.get("chats"), dict)


def read_telegram(document: dict, name: str, limits: Limits) -> Iterator[TextChunk]:
    chats = _list(document.get("chats"), "list", name) if "chats" in document else [document]
    for chat in chats:
        if not isinstance(chat, dict):
            raise ReaderError(f"{name}: a Telegram chat that is not an object")
        title = chat.get("name") or str(chat.get("id", ""))
        for message in _list(chat, "messages", name):
            if not isinstance(message, dict):
                raise ReaderError(f"{name}: chat {title}: a Telegram message that is not an object")
            if message.get("type") != "message":
                continue
            text = _telegram_text(message.get("text", "")) + " " + _telegram_text(message.get("caption", ""))
            text = " ".join(text.split())
            if text:
                sender = message.get("from") or ""
                where = f"{name} chat {title} message {message.get('id', '?')}"
                yield TextChunk(f"{sender}: {text}" if sender else text, where)


def _list(container: object, key: str, name: str) -> list:
    value = container.get(key, []) if isinstance(container, dict) else None
    if not isinstance(value, list):
        raise ReaderError(f"{name}: Telegram export with {key!r} that is not a list")
    return value


def _telegram_text(value: object) -> str:
    """Telegram stores text as a string or a list of strings and entity objects (links, phones...)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", "")) if isinstance(part, dict) else ""
            for part in value
        )
    return ""


def looks_like_chat_text(head: str) -> bool:
    lines = [line for line in head.splitlines() if line.strip()][:60]
    headers = sum(1 for line in lines if HEADER.match(line))
    return _QQ_TITLE in head[:200] or headers >= 2
