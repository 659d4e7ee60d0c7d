"""Transports, one small module per kind of channel; each exposes ``notify(alert) -> str``."""

from __future__ import annotations

import importlib
from types import ModuleType

from .base import TransportError

MODULES = {
    "email": "email",
    "sms": "twilio_sms",
    "webhook": "webhook",
    "dingtalk": "dingtalk",
    "wecom": "wecom",
    "feishu": "feishu",
    "slack": "slack",
}

__all__ = ["TransportError", "transport_for"]


def transport_for(kind: str) -> ModuleType:
    try:
        return importlib.import_module(f"{__name__}.{MODULES[kind]}")
    except KeyError:
        raise TransportError(f"unknown channel kind: {kind}", permanent=True) from None
