"""Chinese privacy-label masking conventions (隐私面单). Pure: no Django.

Names keep the surname and, for names of three or more characters, the last character:
``张三丰`` → ``张*丰``; two-character names keep the surname only: ``王五`` → ``王*``.
Mainland mobile numbers keep the first three and last four digits: ``138****5678``.
"""

from __future__ import annotations

import re

MASK = "*"
_DIGITS = re.compile(r"\D")


def mask_name(name: str) -> str:
    """The form a privacy label prints for ``name``."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]


def masked_name_key(name: str) -> str:
    """What survives masking: surname + last character (``张*伟`` and ``张三伟`` share ``张伟``)."""
    name = name.strip()
    if len(name) <= 2:
        return name[:1]
    return name[0] + name[-1]


def national_number(phone: str) -> str:
    """Digits of a mainland number without the +86/0086/86 country prefix."""
    digits = _DIGITS.sub("", phone)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def mask_phone(phone: str) -> str:
    """``+8613800138000`` → ``138****8000`` (first 3 + last 4 of the national number)."""
    digits = national_number(phone)
    if len(digits) < 8:
        return digits
    return digits[:3] + MASK * (len(digits) - 7) + digits[-4:]


def masked_phone_key(phone: str) -> str:
    """What survives phone masking: first 3 + last 4 digits, e.g. ``1388000``."""
    digits = national_number(phone)
    return digits[:3] + digits[-4:] if len(digits) >= 8 else digits


# Mainland mobile numbers: 11 digits starting 13-19 (China Mobile, Unicom, Telecom, Broadnet).
_MAINLAND_MOBILE = re.compile(r"\+861[3-9]\d{9}")


def is_mainland_mobile(e164: str) -> bool:
    """True for an E.164 mainland mobile (``+86 1[3-9]…``, 11 national digits)."""
    return bool(_MAINLAND_MOBILE.fullmatch(e164))
