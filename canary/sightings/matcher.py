"""Find decoy tokens in leaked text, in every spelling. Pure: no Django.

A :class:`Matcher` is compiled once from every active decoy's tokens (waybill number, canary phone,
recipient name, address marker) and then answers two questions:

* :meth:`Matcher.scan` — where in this text does any token occur? (exact, slow, the reference);
* :meth:`Matcher.match_records` / :meth:`Matcher.match_records_bytes` — which decoys does each
  record (line) of this text mention, with which token kinds and how strongly? (fast).

How the fast path stays exact: Hyperscan literal databases of every token run over the raw UTF-8
bytes (address markers backwards over reversed bytes, see :func:`_scan_reversed`), together with
*shape* patterns that flag lines where a token could hide behind a different spelling (a character
that folds into a token character, separators between digit groups, a masked phone whose key
belongs to a decoy). Only flagged lines go through :func:`normalize` and the exact
checks of :meth:`Matcher.scan`, so both paths give the same answer; a property test holds them to
that. Hyperscan was chosen after measuring it against ahocorasick_rs and pyahocorasick
(``bench/matcher.py``): with address markers reversed it searches bytes about twice as fast as
ahocorasick_rs and many times faster than pyahocorasick on ``str``, and it also runs the shape
patterns, which the others cannot.

Matching rules:

* digit boundaries: a token that starts (ends) with a digit must not touch another digit on that
  side, unless a separator was removed there (a soft boundary) — ``913800138000`` does not contain
  the phone ``13800138000``; a phone may follow its country code (``+86``, ``0086``, ``86``);
* tokens that start (end) with a Latin letter must not touch a Latin letter or digit there;
* names must not touch another Han character: ``张三丰收`` may be the name ``张三丰收`` or words
  around ``张三丰``, nothing tells which. Such an *embedded* name counts only as support for a
  decoy that another token in the same record already points to;
* masked phones (``138****5678``: first three + last four digits) and masked names (``张*丰``,
  ``张**``, ``王*``) point at every decoy with the same key. Next to a full token of the same decoy
  in the same record they join a *strong* match. Without one, a record is a *weak* match only when
  two kinds of such evidence agree on at most :data:`MAX_WEAK_CANDIDATES` decoys (masked name and
  masked phone): a single masked form fits some decoy in most records of a big privacy-label dump.

A Matcher is not thread-safe (Hyperscan scratch space); use one per process or thread. It pickles
(the compiled databases are serialised), so a worker can load a cached copy instead of compiling.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple, Protocol

import hyperscan
import numpy
import phonenumbers

from canary.campaigns.masking import masked_phone_key, national_number
from canary.sightings.normalize import (
    MASK_CHARS,
    SEPARATORS,
    Normalized,
    canonical,
    folding_sources,
    folding_table,
    folds_to_one_of,
    is_han,
    normalize,
    normalize_token,
)

Kind = Literal["waybill", "phone", "name", "address", "masked_phone", "masked_name"]
Strength = Literal["strong", "weak"]
MASKED_KINDS = frozenset({"masked_phone", "masked_name"})

EXCERPT_CONTEXT = 30
# Masked evidence alone that fits more decoys than this says nothing useful (``张**`` fits every
# three-character name with surname 张); it still supports a decoy found by another token.
MAX_WEAK_CANDIDATES = 3


@dataclass(frozen=True)
class DecoyTokens:
    """What a decoy can be recognised by. ``phone`` is E.164 (``+8613800138000``)."""

    decoy_id: int
    waybill_no: str
    phone: str
    name: str
    address_token: str = ""


@dataclass(frozen=True)
class Hit:
    """One token occurrence; ``start``/``end`` index the original text given to :meth:`Matcher.scan`."""

    kind: Kind
    decoy_ids: frozenset[int]
    start: int
    end: int
    excerpt: str
    embedded: bool = False

    @property
    def weak(self) -> bool:
        """Masked forms and embedded names do not identify a decoy on their own."""
        return self.embedded or self.kind in MASKED_KINDS


@dataclass(frozen=True)
class RecordMatch:
    """One decoy mentioned by one record (line).

    ``line`` counts lines (0-based) in the input; ``start``/``end`` index characters within that
    line and span all the evidence for this decoy. ``candidates`` are the decoys the same evidence
    fits equally well (a canary phone is shared by many decoys; a waybill number pins one).
    """

    decoy_id: int
    kinds: frozenset[Kind]
    strength: Strength
    line: int
    start: int
    end: int
    excerpt: str
    candidates: frozenset[int]


class Locatable(Protocol):
    """What :meth:`Matcher.match_chunks` needs from a reader's chunk."""

    text: str

    def locate(self, line: int, offset: int) -> str: ...


class _Token(NamedTuple):
    kind: Kind
    decoy_ids: frozenset[int]
    first: str
    last: str


_SHAPE_JOIN = 0
_PHONE_PREFIX = "86"

_MASK_CLASS = "[" + re.escape("".join(sorted(MASK_CHARS))) + "]"
_SEP_CLASS = "[" + re.escape("".join(sorted(SEPARATORS))) + "]"
_MASKED_PHONE = re.compile(
    rf"(?<![0-9])(?:(?:\+|00)?86{_SEP_CLASS}?)?([0-9]{{3}}){_SEP_CLASS}?{_MASK_CLASS}{{4}}"
    rf"{_SEP_CLASS}?([0-9]{{4}})(?![0-9])"
)
_HAN_CLASS = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af]"
_MASKED_NAME = re.compile(rf"({_HAN_CLASS})({_MASK_CLASS}{{1,3}})({_HAN_CLASS})?")


def _char_class(char: str, kind: Kind) -> str:
    if "0" <= char <= "9":
        return "digit"
    if "A" <= char <= "Z":
        return "latin"
    if kind == "name" and is_han(char):
        return "han"
    return "other"


def _phone_forms(phone: str) -> tuple[str, str]:
    """(national significant number, country calling code) of an E.164 canary number."""
    try:
        parsed = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        return national_number(phone), _PHONE_PREFIX
    return phonenumbers.national_significant_number(parsed), str(parsed.country_code)


def _utf8_alternation(chars: Iterable[str]) -> bytes:
    """A Hyperscan byte-level alternation matching any one of ``chars`` in UTF-8.

    Characters that differ in their last byte only share a branch (``\\xef\\xbc[\\x90-\\x99]``
    for the full-width digits), which keeps the pattern within Hyperscan's length limit.
    """
    by_lead: dict[bytes, set[int]] = defaultdict(set)
    for char in chars:
        encoded = char.encode()
        by_lead[encoded[:-1]].add(encoded[-1])
    parts = [
        "".join(f"\\x{b:02x}" for b in lead) + "[" + "".join(f"\\x{b:02x}" for b in sorted(last)) + "]"
        for lead, last in sorted(by_lead.items())
    ]
    return ("(?:" + "|".join(parts) + ")").encode()


def _shape_patterns(triggers: list[str], masked_keys: Iterable[str]) -> dict[str, bytes]:
    """Raw-byte patterns for lines that may hide a token behind a spelling, one report per line.

    Compiled caseless, so they run on the raw bytes (``[A-Z]`` also matches ``a-z``, as on
    upper-cased text). Each ends in ``[^\\n]*$`` (multi-line): Hyperscan reports a pattern once
    per end offset, so a line with many folding characters (a full-width phone number) costs one
    event at its end, not one per character.
    """
    sep = _utf8_alternation(folds_to_one_of(SEPARATORS))
    mask = _utf8_alternation(folds_to_one_of(MASK_CHARS))
    patterns = {"join": b"(?:[0-9]{3}|[A-Z]{2})" + sep + b"{1,3}[0-9]{3}"}
    if triggers:
        patterns["fold"] = _utf8_alternation(triggers)
    # Masked phones whose key (first three + last four digits) belongs to a decoy; other masked
    # phones are weak evidence for nobody.
    by_head: dict[str, list[str]] = defaultdict(list)
    for key in masked_keys:
        by_head[key[:3]].append(key[3:])
    if by_head:
        patterns["masked"] = (
            b"(?:"
            + b"|".join(
                head.encode()
                + sep
                + b"?"
                + mask
                + b"{4}"
                + sep
                + b"?(?:"
                + "|".join(sorted(tails)).encode()
                + b")"
                for head, tails in sorted(by_head.items())
            )
            + b")"
        )
    return {kind: pattern + rb"[^\n]*$" for kind, pattern in patterns.items()}


def _excerpt(text: str, start: int, end: int) -> str:
    left = max(0, start - EXCERPT_CONTEXT)
    return " ".join(text[left : end + EXCERPT_CONTEXT].split())


@dataclass
class Matcher:
    """Compiled decoy tokens. Build with :meth:`build`; see the module docstring for the rules."""

    literals: list[tuple[str, tuple[_Token, ...]]]
    trigger_count: int
    masked_phones: dict[str, frozenset[int]]
    masked_names: dict[tuple[str, str, int], frozenset[int]]
    phone_prefixes: dict[str, tuple[str, ...]]
    # Literals searched for by a prefix of this many bytes only (see _search_prefix); the rest
    # of the literal is compared after the prefix is found.
    prefix_lengths: dict[int, int]
    plain_literals: bool  # no literal holds a separator character
    _forward_db: hyperscan.Database | None = field(repr=False)
    _reverse_db: hyperscan.Database | None = field(repr=False)
    # "fold", "join", "masked": see _shape_patterns.
    _shape_dbs: dict[str, hyperscan.Database] = field(repr=False)

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def build(cls, decoys: Iterable[DecoyTokens]) -> Matcher:
        by_literal: dict[str, dict[Kind, set[int]]] = defaultdict(lambda: defaultdict(set))
        masked_phones: dict[str, set[int]] = defaultdict(set)
        masked_names: dict[tuple[str, str, int], set[int]] = defaultdict(set)
        phone_prefixes: dict[str, set[str]] = defaultdict(set)

        for decoy in decoys:
            ident = decoy.decoy_id
            if decoy.phone:
                nsn, country = _phone_forms(decoy.phone)
                by_literal[nsn]["phone"].add(ident)
                phone_prefixes[nsn].update({country, "00" + country})
                masked_phones[masked_phone_key(nsn)].add(ident)
            name = normalize_token(decoy.name)
            if len(name) >= 2:
                by_literal[name]["name"].add(ident)
                # ``张**`` keeps the surname only; ``张*伟`` keeps surname and last character.
                masked_names[(name[0], "", len(name))].add(ident)
                if len(name) >= 3:
                    masked_names[(name[0], name[-1], len(name))].add(ident)
            for kind, raw in (("waybill", decoy.waybill_no), ("address", decoy.address_token)):
                token = normalize_token(raw)
                if token:
                    by_literal[token][kind].add(ident)

        literals = [
            (text, tuple(_make_token(kind, text, ids) for kind, ids in kinds.items()))
            for text, kinds in sorted(by_literal.items())
        ]
        alphabet = set("0123456789") | {char for text, _ in literals for char in text}
        # Lines with any of these go through the (slow) folding before the literals are looked
        # for; other flagged lines are only upper-cased and joined (see _joined_upper).
        triggers = _trigger_chars(alphabet) + folding_sources(_JOIN_CHARS - alphabet)
        forward: list[tuple[int, bytes]] = []
        reverse: list[tuple[int, bytes]] = []
        prefix_lengths: dict[int, int] = {}
        for index, (text, tokens) in enumerate(literals):
            encoded = _encode(text)
            if _scan_reversed(tokens):
                reverse.append((index, encoded[::-1]))
                continue
            cut = _search_prefix(tokens, encoded)
            if cut < len(encoded):
                prefix_lengths[index] = cut
            forward.append((index, encoded[:cut]))
        shapes = _shape_patterns(triggers, (key for key in masked_phones if len(key) == 7 and key.isdigit()))
        return cls(
            literals=literals,
            trigger_count=len(triggers),
            masked_phones={key: frozenset(ids) for key, ids in masked_phones.items()},
            masked_names={key: frozenset(ids) for key, ids in masked_names.items()},
            phone_prefixes={nsn: tuple(sorted(p, key=len)) for nsn, p in phone_prefixes.items()},
            prefix_lengths=prefix_lengths,
            plain_literals=all(SEPARATORS.isdisjoint(text) for text, _ in literals),
            _forward_db=_literal_db(forward),
            _reverse_db=_literal_db(reverse),
            _shape_dbs={kind: _pattern_db(shape) for kind, shape in shapes.items()},
        )

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for key in ("_forward_db", "_reverse_db"):
            state[key] = None if state[key] is None else hyperscan.dumpb(state[key])
        state["_shape_dbs"] = {kind: hyperscan.dumpb(db) for kind, db in state["_shape_dbs"].items()}
        return state

    def __setstate__(self, state: dict) -> None:
        for key in ("_forward_db", "_reverse_db"):
            if state[key] is not None:
                state[key] = _loaded(state[key])
        state["_shape_dbs"] = {kind: _loaded(blob) for kind, blob in state["_shape_dbs"].items()}
        self.__dict__.update(state)

    @property
    def token_count(self) -> int:
        return len(self.literals)

    # -- exact (reference) path --------------------------------------------------------------

    def scan(self, text: str) -> list[Hit]:
        """Every token occurrence in ``text``, offsets into ``text``. Exact but slow on big input."""
        norm = normalize(text)
        hits = self._token_hits(norm, text) + self._masked_hits(norm, text)
        return sorted(hits, key=lambda hit: (hit.start, hit.end, hit.kind))

    def _token_hits(self, norm: Normalized, original: str) -> list[Hit]:
        encoded = _encode(norm.text)
        hits: list[Hit] = []
        is_ascii = len(encoded) == len(norm.text)
        for ident, byte_start in self._literal_starts(encoded):
            literal, tokens = self.literals[ident]
            start = byte_start if is_ascii else len(encoded[:byte_start].decode("utf-8", "surrogatepass"))
            end = start + len(literal)
            for token in tokens:
                verdict = self._boundary(token, literal, norm, start, end)
                if verdict is None:
                    continue
                orig_start, orig_end = norm.original_span(start, end)
                excerpt = _excerpt(original, orig_start, orig_end)
                hits.append(
                    Hit(token.kind, token.decoy_ids, orig_start, orig_end, excerpt, verdict == "embedded")
                )
        return hits

    def _literal_start(self, ident: int, data: bytes, end: int) -> int | None:
        """Where forward literal ``ident``, reported by the literal database as ending at ``end``,
        starts in ``data`` (compared upper-cased); None when only its searched-for prefix is there
        (see _search_prefix) and the rest is spelled otherwise."""
        literal = _encode(self.literals[ident][0])
        cut = self.prefix_lengths.get(ident)
        if cut is None:
            return end - len(literal)
        start = end - cut
        return start if data[start : start + len(literal)].upper() == literal else None

    def _literal_starts(self, data: bytes) -> list[tuple[int, int]]:
        """(literal index, byte offset) of every token literal in upper-cased UTF-8 ``data``."""
        found: list[tuple[int, int]] = []

        def forward(ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            start = self._literal_start(ident, data, end)
            if start is not None:
                found.append((ident, start))

        def reverse(ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            found.append((ident, len(data) - end))

        if self._forward_db is not None:
            self._forward_db.scan(data, match_event_handler=forward)
        if self._reverse_db is not None:
            self._reverse_db.scan(_reversed(data), match_event_handler=reverse)
        return found

    def _boundary(self, token: _Token, literal: str, norm: Normalized, start: int, end: int) -> str | None:
        """``"ok"``, ``"embedded"`` (a name inside Han text) or ``None`` (not a token occurrence)."""
        text, soft = norm.text, norm.soft
        embedded = False
        if start > 0 and start not in soft:
            before = text[start - 1]
            clash = _touches(token.first, before)
            if clash == "han":
                embedded = True
            elif clash and not (
                token.kind == "phone" and self._after_country_code(literal, text, start, soft)
            ):
                return None
        if end < len(text) and end not in soft:
            clash = _touches(token.last, text[end])
            if clash == "han":
                embedded = True
            elif clash:
                return None
        return "embedded" if embedded else "ok"

    def _after_country_code(self, nsn: str, text: str, start: int, soft: frozenset[int]) -> bool:
        for prefix in self.phone_prefixes.get(nsn, ()):
            begin = start - len(prefix)
            at_boundary = begin == 0 or begin in soft or not text[begin - 1].isdigit()
            if begin >= 0 and text.startswith(prefix, begin) and at_boundary:
                return True
        return False

    def _masked_hits(self, norm: Normalized, original: str) -> list[Hit]:
        hits: list[Hit] = []
        text = norm.text
        if self.masked_phones:
            for found in _MASKED_PHONE.finditer(text):
                ids = self.masked_phones.get(found.group(1) + found.group(2))
                if ids:
                    start, end = norm.original_span(found.start(1), found.end(2))
                    hits.append(Hit("masked_phone", ids, start, end, _excerpt(original, start, end)))
        if self.masked_names:
            for found in _MASKED_NAME.finditer(text):
                ids = self._masked_name_candidates(found)
                if ids:
                    start, end = norm.original_span(found.start(), found.end())
                    hits.append(Hit("masked_name", ids, start, end, _excerpt(original, start, end)))
        return hits

    def _masked_name_candidates(self, found: re.Match[str]) -> frozenset[int]:
        surname, masks, last = found.group(1), found.group(2), found.group(3)
        length = 1 + len(masks)
        ids = self.masked_names.get((surname, "", length), frozenset())
        if last:
            # ``张*伟电话``: the Han character after the mask may end the name or start the next word.
            ids = ids | self.masked_names.get((surname, last, length + 1), frozenset())
        return ids

    # -- records ------------------------------------------------------------------------------

    def match_line(self, line: str, line_number: int = 0) -> list[RecordMatch]:
        """Per-decoy results for one record, by the exact path."""
        return _group(self.scan(line), line, line_number)

    def match_records(self, text: str) -> list[RecordMatch]:
        """Per-decoy results for every line of ``text`` (fast path)."""
        return self.match_records_bytes(text.encode("utf-8", "surrogatepass"), errors="surrogatepass")

    def match_records_bytes(self, data: bytes, errors: str = "replace") -> list[RecordMatch]:
        """Per-decoy results for every line of UTF-8 ``data`` (fast path; line offsets in characters)."""
        size = len(data)
        # Byte positions inside lines that need a look. ``sure``: a token literal or a masked
        # phone whose key belongs to a decoy (weak evidence needs one, see _group) — the exact
        # path. ``maybe``: a character that folds into a token character, separators between
        # digit groups — normalised first, exact path only if a literal shows up.
        sure: list[int] = []
        maybe: list[int] = []
        folding: set[int] = set()  # the maybe lines with a folding character (by last byte)

        def on_literal(ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            # A literal spelled otherwise after its prefix is left to the fold and join shapes.
            if self._literal_start(ident, data, end) is not None:
                sure.append(end - 1)

        def on_reversed(_ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            sure.append(size - end)

        def on_masked(_ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            sure.append(end - 1)  # the line's last byte (the patterns run to the end of the line)

        def on_shape(_ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            maybe.append(end - 1)

        def on_fold(_ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            folding.add(end - 1)

        if self._forward_db is not None:
            self._forward_db.scan(data, match_event_handler=on_literal)
        if self._reverse_db is not None:
            self._reverse_db.scan(_reversed(data), match_event_handler=on_reversed)
        handlers = {"masked": on_masked, "fold": on_fold}
        for kind, database in self._shape_dbs.items():
            database.scan(data, match_event_handler=handlers.get(kind, on_shape))
        maybe += folding
        if not sure and not maybe:
            return []
        events = sorted([(position, True) for position in sure] + [(position, False) for position in maybe])

        exact: list[tuple[int, str]] = []  # (line number, line) that need the exact path
        # Lines that may hold a token once normalised: with folding characters, with joins only.
        normalise: tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]] = ([], [])
        line_start, line_end, line_number, counted_to = -1, -1, 0, 0
        needs_exact, flagged = False, False
        for position, reason in [*events, (size, False)]:
            if line_start <= position < line_end:
                needs_exact = needs_exact or reason
                continue
            if flagged:
                line = data[line_start:line_end]
                if needs_exact:
                    exact.append((line_number, line))
                else:
                    normalise[line_end - 1 not in folding].append((line_number, line))
            if position >= size:
                break
            line_start = data.rfind(b"\n", 0, position) + 1
            found_end = data.find(b"\n", position)
            line_end = size if found_end < 0 else found_end
            line_number += data.count(b"\n", counted_to, line_start)
            counted_to = line_start
            needs_exact, flagged = reason, True
        # Folding is slow (a table lookup per character): only lines with a folding character
        # need it; the others are upper-cased and joined.
        folded, joined = normalise
        if folded:
            text = b"\n".join(line for _, line in folded).decode("utf-8", errors)
            exact += self._holding_literals(folded, _encode(canonical(text)))
        if joined:
            text = b"\n".join(line for _, line in joined)
            # Without separators in any literal, deleting every separator finds at least the
            # literals that joining some of them (normalize's rule 2) could create.
            squeezed = _without_separators(text) if self.plain_literals else _joined_upper(text)
            exact += self._holding_literals(joined, squeezed)
        results: list[RecordMatch] = []
        for number, line in sorted(exact):
            results.extend(self.match_line(line.decode("utf-8", errors), number))
        return results

    def _holding_literals(self, lines: list[tuple[int, bytes]], normalised: bytes) -> list[tuple[int, bytes]]:
        """The ``lines`` whose normalised forms (``normalised``, one per line) hold a token literal."""
        line_starts = [0] + [found.end() for found in _NEWLINE.finditer(normalised)]
        holding = {
            bisect.bisect_right(line_starts, start) - 1 for _, start in self._literal_starts(normalised)
        }
        return [lines[index] for index in sorted(holding)]

    def match_chunks(
        self, chunks: Iterable[Locatable], batch_chars: int = 1 << 20
    ) -> Iterator[tuple[Locatable, RecordMatch]]:
        """Match a reader's chunks in batches; each result's ``line`` is relative to its chunk."""
        batch: list[Locatable] = []
        size = 0
        for chunk in chunks:
            batch.append(chunk)
            size += len(chunk.text) + 1
            if size >= batch_chars:
                yield from self._match_batch(batch)
                batch, size = [], 0
        if batch:
            yield from self._match_batch(batch)

    def _match_batch(self, batch: list[Locatable]) -> Iterator[tuple[Locatable, RecordMatch]]:
        first_lines: list[int] = []
        line = 0
        for chunk in batch:
            first_lines.append(line)
            line += chunk.text.count("\n") + 1
        for match in self.match_records("\n".join(chunk.text for chunk in batch)):
            index = bisect.bisect_right(first_lines, match.line) - 1
            yield batch[index], replace(match, line=match.line - first_lines[index])


def _joined_upper(data: bytes) -> bytes:
    """``canonical`` of UTF-8 lines without characters that fold into digits, letters, separators
    or token characters: nothing left to fold but ASCII case, so only upper-casing and joins."""
    return _JOINED_SEPARATORS.sub(b"", data.upper())


def _without_separators(data: bytes) -> bytes:
    """UTF-8 ``data`` upper-cased, every separator character deleted."""
    data = data.translate(None, _ASCII_SEPARATORS)
    for separator in _OTHER_SEPARATORS:
        data = data.replace(separator, b"")
    return data.upper()


def _touches(token_char_class: str, neighbour: str) -> str | None:
    """Whether a token edge of the given class may not touch ``neighbour`` (and why)."""
    if token_char_class == "digit" and "0" <= neighbour <= "9":
        return "digit"
    if token_char_class == "latin" and ("0" <= neighbour <= "9" or "A" <= neighbour <= "Z"):
        return "latin"
    if token_char_class == "han" and is_han(neighbour):
        return "han"
    return None


_NEWLINE = re.compile(b"\n")
_ASCII_LETTER = re.compile(b"[A-Za-z]")
_ASCII_SEPARATORS = "".join(sorted(char for char in SEPARATORS if char.isascii())).encode()
_OTHER_SEPARATORS = tuple(sorted(char.encode() for char in SEPARATORS if not char.isascii()))
_JOIN_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") | SEPARATORS
# normalize's joins (rule 2) on UTF-8 bytes, for text whose separators need no folding.
_JOINED_SEPARATORS = re.compile(
    b"(?:(?<=[0-9]{3})|(?<=[A-Z]{2}))(?:"
    + b"|".join(re.escape(char.encode()) for char in sorted(SEPARATORS))
    + b"){1,3}(?=[0-9]{3})"
)
_PHONE_PREFIX_BYTES = 8


def _reversed(data: bytes) -> bytes:
    """``data[::-1]``, about half again as fast for big blocks."""
    if len(data) < 4096:
        return data[::-1]
    return numpy.frombuffer(data, numpy.uint8)[::-1].tobytes()


def _search_prefix(tokens: tuple[_Token, ...], encoded: bytes) -> int:
    """How many leading bytes of a forward literal Hyperscan searches for.

    Canary phones share their first digits (a few number ranges) and differ in the rest. A
    literal database keys on the last bytes of each literal: with whole numbers every run of
    digits in the text is a candidate, with the first eight digits only those that start like a
    canary number, about three times as fast. The other literals are searched for whole.
    """
    if all(token.kind == "phone" for token in tokens) and len(encoded) > _PHONE_PREFIX_BYTES:
        return _PHONE_PREFIX_BYTES
    return len(encoded)


def _loaded(blob: bytes) -> hyperscan.Database:
    database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
    database.scratch = hyperscan.Scratch(database)
    return database


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _scan_reversed(tokens: tuple[_Token, ...]) -> bool:
    """Address markers share their endings (``…401室``), which slows Hyperscan's literal matcher
    down to a crawl; their beginnings differ, so they are searched for backwards in reversed text."""
    return any(token.kind == "address" for token in tokens)


def _literal_db(entries: list[tuple[int, bytes]]) -> hyperscan.Database | None:
    """A literal database over raw bytes: caseless, so text needs no upper-casing first (Hyperscan
    folds ASCII letters only, like ``bytes.upper``; literals are upper-case already)."""
    if not entries:
        return None
    expressions = [expression for _, expression in entries]
    flags = [
        hyperscan.HS_FLAG_CASELESS if _ASCII_LETTER.search(expression) else 0 for expression in expressions
    ]
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=expressions,
        ids=[ident for ident, _ in entries],
        elements=len(expressions),
        flags=flags,
        literal=True,
    )
    return database


def _pattern_db(pattern: bytes) -> hyperscan.Database:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[pattern],
        ids=[0],
        elements=1,
        flags=[hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE],
    )
    return database


def _make_token(kind: Kind, text: str, ids: set[int]) -> _Token:
    return _Token(kind, frozenset(ids), _char_class(text[0], kind), _char_class(text[-1], kind))


def _trigger_chars(alphabet: set[str]) -> list[str]:
    """Characters whose folding can create or split a token: they send a line to the exact path."""
    triggers = set(folding_sources(alphabet))
    for char, folded in folding_table().items():
        # Invisible characters vanish and ``‥`` becomes two separators: both change token shapes.
        if folded == "" or (len(folded) > 1 and set(folded) <= SEPARATORS):
            triggers.add(char)
    return sorted(triggers)


def _group(hits: list[Hit], line: str, line_number: int) -> list[RecordMatch]:
    """Turn one record's hits into per-decoy results.

    Evidence shared by several decoys (a canary phone, a masked key) goes to the decoys that the
    rest of the record supports best: with a waybill of decoy 5 and a phone shared by 5, 9 and 12,
    the record is about 5 alone.
    """
    if not hits:
        return []
    support: dict[int, int] = defaultdict(int)
    for hit in hits:
        for ident in hit.decoy_ids:
            support[ident] += 1
    evidence: dict[int, list[tuple[Hit, frozenset[int]]]] = defaultdict(list)
    for hit in hits:
        best = max(support[ident] for ident in hit.decoy_ids)
        kept = frozenset(ident for ident in hit.decoy_ids if support[ident] == best)
        for ident in kept:
            evidence[ident].append((hit, kept))

    # Decoys backed by the same evidence (a shared canary phone) get the same result: work it out once.
    by_evidence: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for ident, items in evidence.items():
        by_evidence[tuple(id(hit) for hit, _ in items)].append(ident)
    results: list[RecordMatch] = []
    for idents in by_evidence.values():
        items = evidence[idents[0]]
        strong = any(not hit.weak for hit, _ in items)
        candidates = frozenset.intersection(*(kept for _, kept in items))
        # Weak evidence needs two kinds that agree (masked name + masked phone): one masked form
        # alone fits some decoy in most privacy-label records of a big dump.
        weak_kinds = {hit.kind for hit, _ in items if hit.weak}
        if not strong and not (len(weak_kinds) >= 2 and len(candidates) <= MAX_WEAK_CANDIDATES):
            continue
        start = min(hit.start for hit, _ in items)
        end = max(hit.end for hit, _ in items)
        kinds = frozenset(hit.kind for hit, _ in items)
        excerpt = _excerpt(line, start, end)
        strength: Strength = "strong" if strong else "weak"
        results.extend(
            RecordMatch(ident, kinds, strength, line_number, start, end, excerpt, candidates)
            for ident in idents
        )
    return sorted(results, key=lambda match: match.decoy_id)
