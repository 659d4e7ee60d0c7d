"""Text normalisation for the matcher, with an offset map back to the original text. Pure: no Django.

Leaked records spell the same token many ways: full-width digits (``１３８``), lower-case waybill
letters, ``138 0013 8000``, ``+86-138-0013-8000``, zero-width characters slipped between digits.
``normalize`` folds all of them into one canonical spelling and remembers, for every character it
produces, which character of the original text it came from, so evidence excerpts quote the
original bytes.

The rules, in order:

1. Every character is folded on its own with NFKC (full-width digits and letters, ``＊``, circled
   digits, CJK compatibility ideographs), ASCII letters are upper-cased, and invisible format
   characters (Unicode category Cf: zero-width space, BOM, soft hyphen) are dropped. Folding
   character by character keeps the offset map exact; NFKC's composition step only matters for
   combining marks, which never occur in the tokens we look for.
2. A run of one to three separators (space, tab, ``-``, ``.``, dashes) is removed before a group of
   at least three digits when it follows at least three digits (``138 0013 8000``,
   ``7731 2345 6789``) or two letters (``SF 1234…``). Short groups never glue, so dates, times and prices
   (``2024-05-01``, ``12.50``) keep their separators. Where a separator was removed the text gets a
   *soft boundary*: a token may start or end there even though digits touch.

Mask characters (``*＊∗✱×xX●``) are not folded into one character, because ``x`` and ``X`` are
also letters; the matcher recognises them with :data:`MASK_CHARS` in masked shapes only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

# Characters that stand for a hidden character on privacy labels, after folding (so ``＊`` is
# already ``*`` and ``x`` is already ``X``). NFKC folds neither ``∗`` (U+2217) nor ``✱`` nor ``×``.
MASK_CHARS = frozenset("*∗✱×●X")

# Characters that may separate digit groups, after folding (NBSP and U+3000 fold to a space).
SEPARATORS = frozenset(" \t-.\u2010\u2012\u2013\u2014\u2015\u2212")

_SEP_CLASS = "[" + re.escape("".join(sorted(SEPARATORS))) + "]"
# Group 1 is what the separators follow; a replacement keeps it: ``_JOIN.sub(r"\1", text)``.
_JOIN = re.compile(rf"([0-9]{{3}}|[A-Z]{{2}}){_SEP_CLASS}{{1,3}}(?=[0-9]{{3}})")


# The CJK ideograph blocks (unified, extension A, compatibility, extensions B–H), as a regex class body.
HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"


def is_han(char: str) -> bool:
    """True for a CJK ideograph (the characters Chinese names are written in)."""
    cp = ord(char)
    return (
        0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x323AF
    )


def fold_char(char: str) -> str:
    """Rule 1 for one character: NFKC, ASCII upper-case, format characters dropped."""
    if char.isascii():
        return char.upper()
    return folding_table().get(char, char)


@cache
def folding_table() -> dict[str, str]:
    """Every non-ASCII character that rule 1 changes, with what it becomes (about 5,000 entries)."""
    table: dict[str, str] = {}
    for cp in range(0x80, 0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        char = chr(cp)
        if unicodedata.category(char) == "Cf":
            table[char] = ""
        elif not unicodedata.is_normalized("NFKC", char):
            folded = unicodedata.normalize("NFKC", char)
            table[char] = "".join(c.upper() if c.isascii() else c for c in folded)
    return table


# ASCII and CJK unified ideographs: nearly every character of a Chinese dump, and none of them
# folds except ASCII letters (upper-casing). Finding a character outside them is one fast search.
_NOT_PLAIN = re.compile("[^\x00-\x7f\u4e00-\u9fff]")


@cache
def _length_changing() -> frozenset[str]:
    """Characters that fold into zero or several characters: only these shift offsets."""
    return frozenset(char for char, folded in folding_table().items() if len(folded) != 1)


@cache
def _changing() -> frozenset[str]:
    """Non-ASCII characters that rule 1 changes."""
    return frozenset(folding_table())


def _holds_any(text: str, chars: frozenset[str]) -> bool:
    found = _NOT_PLAIN.search(text)
    return found is not None and not chars.isdisjoint(text[found.start() :])


def folding_sources(targets: frozenset[str] | set[str]) -> list[str]:
    """Non-ASCII characters whose folded form contains any of ``targets``.

    The matcher's prefilter uses this to notice text that only becomes a token after folding.
    """
    return [char for char, folded in folding_table().items() if any(c in targets for c in folded)]


def folds_to_one_of(targets: frozenset[str] | set[str]) -> list[str]:
    """Characters (ASCII included) whose folded form is a single character from ``targets``."""
    ascii_sources = [chr(cp) for cp in range(128) if chr(cp).upper() in targets]
    unchanged = [char for char in targets if not char.isascii() and char not in folding_table()]
    return ascii_sources + unchanged + [char for char, folded in folding_table().items() if folded in targets]


@cache
def _translation() -> dict[int, str]:
    table = {ord(char): folded for char, folded in folding_table().items()}
    table.update({code: chr(code).upper() for code in range(ord("a"), ord("z") + 1)})
    return table


@dataclass(frozen=True)
class Normalized:
    """Canonical text plus the way back to the original.

    ``origin[i]`` is the index in the original text of the character that produced ``text[i]``
    (``None`` means the identity map). ``soft`` holds the indices where a separator was removed
    just before ``text[i]``.
    """

    text: str
    origin: list[int] | None = None
    soft: frozenset[int] = field(default_factory=frozenset)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``text[start:end]`` (non-empty) back to a span of the original text."""
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


def normalize(text: str) -> Normalized:
    """Apply rules 1 and 2 (see the module docstring) and keep the offset map."""
    origin: list[int] | None = None
    if not _holds_any(text, _length_changing()):
        folded = _fold_one_for_one(text)  # offsets unchanged
    else:
        pieces: list[str] = []
        origin = []
        for index, char in enumerate(text):
            out = fold_char(char)
            pieces.append(out)
            origin.extend([index] * len(out))
        folded = "".join(pieces)

    joins = list(_JOIN.finditer(folded))
    if not joins:
        return Normalized(folded, origin)

    kept: list[str] = []
    new_origin: list[int] = []
    soft: set[int] = set()
    previous = 0
    for join in joins:
        kept.append(folded[previous : join.end(1)])
        new_origin.extend(
            origin[previous : join.end(1)] if origin is not None else range(previous, join.end(1))
        )
        soft.add(len(new_origin))
        previous = join.end()
    kept.append(folded[previous:])
    new_origin.extend(origin[previous:] if origin is not None else range(previous, len(folded)))
    return Normalized("".join(kept), new_origin, frozenset(soft))


def fold(text: str) -> str:
    """Rule 1 alone (no joins, no offset map), several times faster than ``normalize``."""
    return _translate(text) if _holds_any(text, _length_changing()) else _fold_one_for_one(text)


def _fold_one_for_one(text: str) -> str:
    """Rule 1 for text whose characters each fold into exactly one character."""
    if text.isascii():
        return text.upper()
    if not _holds_any(text, _changing()):
        # bytes.upper() touches ASCII letters only, unlike str.upper() (which would turn ß into SS).
        return text.encode("utf-8", "surrogatepass").upper().decode("utf-8", "surrogatepass")
    return _translate(text)


def _translate(text: str) -> str:
    """``text.translate(_translation())``, several times faster on long text.

    ``str.translate`` looks every character up in the table; replacing the few characters of the
    text that fold (usually a handful) with ``str.replace`` scans it once per such character in C.
    That gives the same result because no folded form contains a character that folds again
    (checked here; otherwise ``translate`` it is).
    """
    table = _translation()
    present = [code for code in map(ord, set(text)) if code in table]
    if len(present) > 64 or not _folds_are_final().isdisjoint(present):
        return text.translate(table)
    for code in present:
        text = text.replace(chr(code), table[code])
    return text


@cache
def _folds_are_final() -> frozenset[int]:
    """Table entries whose folded form holds a character that the table folds again (none, as
    NFKC output is NFKC-normalised and upper-cased; kept as a guard for _translate)."""
    table = _translation()
    return frozenset(code for code, folded in table.items() if any(ord(char) in table for char in folded))


def normalize_token(token: str) -> str:
    """The canonical spelling of a decoy token (same rules as the text it is searched in)."""
    token = token.strip()
    if _PLAIN_TOKEN.fullmatch(token):
        # Nearly every token (a million decoys are three million): letters, digits and Han
        # ideographs that folding leaves as they are, no separators; only letters change.
        return token.upper()
    return normalize(token).text


def normalize_tokens(tokens: list[str]) -> list[str]:
    """:func:`normalize_token` of each token; a million at once in a fraction of a second."""
    joined = "\n".join(tokens)
    if _PLAIN_TOKENS.fullmatch(joined):
        normalised = joined.upper().split("\n")
        if len(normalised) == len(tokens):  # no token held a newline of its own
            return normalised
    return [normalize_token(token) for token in tokens]


# ASCII letters and digits and the Han ideographs NFKC leaves alone (not the compatibility block).
_PLAIN = "0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002a6df"
_PLAIN_TOKEN = re.compile(f"[{_PLAIN}]*")
_PLAIN_TOKENS = re.compile(f"[{_PLAIN}\n]*")
