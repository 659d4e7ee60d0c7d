"""Find decoy tokens in leaked text, in every spelling. Pure: no Django.

A :class:`Matcher` is compiled once from every active decoy's tokens (waybill number, canary phone,
recipient name, address marker) and then answers two questions:

* :meth:`Matcher.scan` — where in this text does any token occur? (exact, slow, the reference);
* :meth:`Matcher.match_records` / :meth:`Matcher.match_records_bytes` — which decoys does each
  record (line) of this text mention, with which token kinds and how strongly? (fast).

How the fast path stays exact: a first stage (:mod:`canary.sightings.prefilter`) reads the raw
bytes, in UTF-8 or GB18030, and flags the few lines where a token or a different spelling of one
may be; only those go through :func:`normalize` and the exact checks of :meth:`Matcher.scan`, so
both paths give the same answer; property tests hold them to that. The first stage searches the
token literals with a double-array Aho-Corasick automaton (daachorse) and the shapes that may
hide a token with Hyperscan; the engines were chosen by measurement (``bench/matcher.py``).

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
(the compiled automata and databases are serialised), so a worker loads the stored copy instead of
building one.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import chain
from typing import Any, Literal, NamedTuple, Protocol

import numpy
import phonenumbers

from canary.campaigns.masking import masked_phone_key, national_number
from canary.sightings.han_edges import name_flags
from canary.sightings.normalize import (
    HAN_RANGES,
    MASK_CHARS,
    SEPARATORS,
    Normalized,
    folding_sources,
    folding_table,
    is_han,
    normalize,
    normalize_tokens,
)
from canary.sightings.prefilter import UTF8, Prefilter, native_encoding

Kind = Literal["waybill", "phone", "name", "address", "masked_phone", "masked_name"]
KINDS: tuple[Kind, ...] = ("waybill", "phone", "name", "address")  # the kinds of token literals
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


class RecordMatch(NamedTuple):
    """One decoy mentioned by one record (line).

    ``line`` counts lines (0-based) in the input; ``start``/``end`` index characters within that
    line and span all the evidence for this decoy. ``candidates`` are the decoys the same evidence
    fits equally well (a canary phone is shared by many decoys; a waybill number pins one).
    A named tuple: a canary phone shared by fifty decoys gives fifty of these per record.
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


class LineBlock(Protocol):
    """What :meth:`Matcher.match_lines` reads of a block of a line document."""

    @property
    def data(self) -> bytes: ...

    @property
    def encoding(self) -> str: ...

    @property
    def forced(self) -> tuple[tuple[int, int, int], ...]: ...


class LineSource(Protocol):
    """A document whose records are lines, read in place (see ``readers.lines.LineDocument``);
    each record's text is one line."""

    def blocks(self) -> Iterable[LineBlock]: ...

    def records(self, block: Any, lines: list[tuple[int, int, int]]) -> Iterable[Locatable]: ...


class _Token(NamedTuple):
    kind: Kind
    decoy_ids: frozenset[int]
    first: str
    last: str


_PHONE_PREFIX = "86"

_MASK_CLASS = "[" + re.escape("".join(sorted(MASK_CHARS))) + "]"
_SEP_CLASS = "[" + re.escape("".join(sorted(SEPARATORS))) + "]"
_MASKED_PHONE = re.compile(
    rf"(?<![0-9])(?:(?:\+|00)?86{_SEP_CLASS}?)?([0-9]{{3}}){_SEP_CLASS}?{_MASK_CLASS}{{4}}"
    rf"{_SEP_CLASS}?([0-9]{{4}})(?![0-9])"
)
_HAN_CLASS = f"[{HAN_RANGES}]"
_MASKED_NAME = re.compile(rf"({_HAN_CLASS})({_MASK_CLASS}{{1,3}})({_HAN_CLASS})?")
_JOIN_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") | SEPARATORS


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


def _excerpt(text: str, start: int, end: int) -> str:
    left = max(0, start - EXCERPT_CONTEXT)
    return " ".join(text[left : end + EXCERPT_CONTEXT].split())


@dataclass
class Matcher:
    """Compiled decoy tokens. Build with :meth:`build`; see the module docstring for the rules.

    A million decoys are three million literals, so their owners are kept compactly: a literal
    of one kind and one decoy (nearly all of them) is a kind code and a decoy id in two arrays;
    the others (a canary phone shared by many decoys) are in ``shared``. Token objects are made
    only for literals that are found.
    """

    literals: list[str]
    kind_codes: numpy.ndarray  # per literal: index into KINDS, or -1 when in ``shared``
    owner_ids: numpy.ndarray  # per literal: its one decoy (when ``kind_codes`` is not -1)
    shared: dict[int, tuple[tuple[Kind, frozenset[int]], ...]]
    trigger_count: int
    masked_phones: dict[str, frozenset[int]]
    masked_names: dict[tuple[str, str, int], frozenset[int]]
    phone_prefixes: dict[str, tuple[str, ...]]
    prefilter: Prefilter
    # An update without a rebuild (see :meth:`updated`): decoys added since the build, in a small
    # matcher of their own, and decoys of this build that are no longer watched.
    delta: Matcher | None = None
    removed: frozenset[int] = frozenset()

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def build(cls, decoys: Iterable[DecoyTokens]) -> Matcher:
        # One pass over ``decoys``, which may be a stream of database rows: a million decoys held
        # as objects would cost more memory than the matcher.
        ids: list[int] = []
        fields: tuple[list[str], list[str], list[str]] = ([], [], [])
        by_phone: dict[str, list[int]] = defaultdict(list)
        for decoy in decoys:
            ids.append(decoy.decoy_id)
            fields[0].append(decoy.name)
            fields[1].append(decoy.waybill_no)
            fields[2].append(decoy.address_token)
            if decoy.phone:
                by_phone[decoy.phone].append(decoy.decoy_id)
        names, waybills, addresses = (normalize_tokens(texts) for texts in fields)
        del fields
        owners = _Owners()
        owners.extend(
            "name", [(name, ident) for name, ident in zip(names, ids, strict=True) if len(name) >= 2]
        )
        owners.extend("waybill", [(text, ident) for text, ident in zip(waybills, ids, strict=True) if text])
        owners.extend("address", [(text, ident) for text, ident in zip(addresses, ids, strict=True) if text])
        del waybills, addresses

        masked_names: dict[tuple[str, str, int], set[int]] = defaultdict(set)
        for name, ident in zip(names, ids, strict=True):
            if len(name) >= 2:
                # ``张**`` keeps the surname only; ``张*伟`` keeps surname and last character.
                masked_names[(name[0], "", len(name))].add(ident)
                if len(name) >= 3:
                    masked_names[(name[0], name[-1], len(name))].add(ident)

        # Canary phones are shared by many decoys: each is parsed once.
        masked_phones: dict[str, set[int]] = defaultdict(set)
        phone_prefixes: dict[str, set[str]] = defaultdict(set)
        for phone, idents in by_phone.items():
            nsn, country = _phone_forms(phone)
            owners.group(nsn, "phone", idents)
            phone_prefixes[nsn].update({country, "00" + country})
            masked_phones[masked_phone_key(nsn)].update(idents)

        kind_codes, owner_ids, shared, literals = owners.arrays()
        del owners  # before the automata are built, when memory peaks
        alphabet = set("0123456789") | set("".join(literals))
        # Lines with any of these go through the (slow) folding before the literals are looked
        # for; other flagged lines are only upper-cased and stripped of separators.
        triggers = _trigger_chars(alphabet) + folding_sources(_JOIN_CHARS - alphabet)
        prefilter = Prefilter(
            literals,
            triggers,
            masked_phones,
            plain_literals=SEPARATORS.isdisjoint(alphabet),
            names=_name_flags(literals, kind_codes, shared),
        )
        return cls(
            literals=literals,
            kind_codes=kind_codes,
            owner_ids=owner_ids,
            shared=shared,
            trigger_count=len(triggers),
            masked_phones={key: frozenset(ids) for key, ids in masked_phones.items()},
            masked_names={key: frozenset(ids) for key, ids in masked_names.items()},
            phone_prefixes={nsn: tuple(sorted(p, key=len)) for nsn, p in phone_prefixes.items()},
            prefilter=prefilter,
        )

    def updated(self, added: Iterable[DecoyTokens], removed: Iterable[int]) -> Matcher:
        """This matcher as built, less the ``removed`` decoys, plus the ``added`` ones: the same
        answers as a matcher built over that set, at the cost of building one over ``added``.

        Changes are relative to the build, not to an earlier update (whose delta is replaced).
        Scanning takes a second pass for the delta until the whole set is built again.
        """
        added = list(added)
        return replace(self, delta=Matcher.build(added) if added else None, removed=frozenset(removed))

    @property
    def token_count(self) -> int:
        return len(self.literals) + (self.delta.token_count if self.delta is not None else 0)

    def tokens(self, ident: int) -> tuple[_Token, ...]:
        """The tokens (one per kind) spelled as literal ``ident``."""
        text = self.literals[ident]
        code = int(self.kind_codes[ident])
        if code >= 0:
            return (_make_token(KINDS[code], text, frozenset((int(self.owner_ids[ident]),))),)
        return tuple(_make_token(kind, text, ids) for kind, ids in self.shared[ident])

    # -- exact (reference) path --------------------------------------------------------------

    def scan(self, text: str) -> list[Hit]:
        """Every token occurrence in ``text``, offsets into ``text``. Exact but slow on big input."""
        norm = normalize(text)
        hits = self._token_hits(norm, text) + self._masked_hits(norm, text)
        if self.delta is not None or self.removed:
            hits = self._updated_hits(hits, norm, text)
        return sorted(hits, key=lambda hit: (hit.start, hit.end, hit.kind))

    def _updated_hits(self, hits: list[Hit], norm: Normalized, original: str) -> list[Hit]:
        """The hits a matcher built over the updated set finds: removed decoys dropped, and an
        occurrence found by both the build and the delta (a shared canary phone) made one hit."""
        merged: dict[tuple[Kind, int, int, bool], Hit] = {}
        for hit in hits:
            ids = hit.decoy_ids - self.removed
            if ids:
                merged[(hit.kind, hit.start, hit.end, hit.embedded)] = replace(hit, decoy_ids=ids)
        if self.delta is not None:
            for hit in self.delta._token_hits(norm, original) + self.delta._masked_hits(norm, original):
                key = (hit.kind, hit.start, hit.end, hit.embedded)
                prior = merged.get(key)
                merged[key] = (
                    hit if prior is None else replace(prior, decoy_ids=prior.decoy_ids | hit.decoy_ids)
                )
        return list(merged.values())

    def _token_hits(self, norm: Normalized, original: str) -> list[Hit]:
        encoded = _encode(norm.text)
        hits: list[Hit] = []
        is_ascii = len(encoded) == len(norm.text)
        for ident, byte_start in self.prefilter.literal_starts(encoded):
            literal, tokens = self.literals[ident], self.tokens(ident)
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
        return self.match_records_bytes(_encode(text), errors="surrogatepass")

    def match_records_bytes(
        self, data: bytes, encoding: str = UTF8, errors: str = "replace"
    ) -> list[RecordMatch]:
        """Per-decoy results for every line of ``data`` (fast path; line offsets in characters).

        UTF-8 and GB18030 (GBK) are read as they are; other encodings are transcoded first.
        """
        native = native_encoding(encoding)
        if native is None:
            data, native = data.decode(encoding, errors).encode("utf-8", "surrogatepass"), UTF8
        results: list[RecordMatch] = []
        for number, start, end in self.candidate_lines(data, native):
            results.extend(self.match_line(data[start:end].decode(native, errors), number))
        return results

    def candidate_lines(self, data: bytes, encoding: str = UTF8) -> list[tuple[int, int, int]]:
        """(line number, start, end) of the lines of ``data`` that may mention a decoy: every line
        :meth:`match_line` finds something in, and few others. ``encoding``: UTF-8 or GB18030."""
        lines = self.prefilter.candidate_lines(data, encoding)
        if self.delta is not None:
            more = self.delta.candidate_lines(data, encoding)
            if more:
                lines = sorted(set(lines).union(more))
        return lines

    def match_lines(self, document: LineSource) -> Iterator[tuple[Locatable, RecordMatch]]:
        """Match a line document block by block: the first stage reads each block's raw bytes and
        only the lines it flags become records; each result's ``line`` is relative to its record."""
        for block in document.blocks():
            lines = self.candidate_lines(block.data, block.encoding)
            if block.forced:
                lines = sorted(set(lines).union(block.forced))
            if not lines:
                continue
            # One line each, and flagged already: straight to the exact path.
            for record in document.records(block, lines):
                for match in self.match_line(record.text):
                    yield record, match

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
            yield batch[index], match._replace(line=match.line - first_lines[index])


def _touches(token_char_class: str, neighbour: str) -> str | None:
    """Whether a token edge of the given class may not touch ``neighbour`` (and why)."""
    if token_char_class == "digit" and "0" <= neighbour <= "9":
        return "digit"
    if token_char_class == "latin" and ("0" <= neighbour <= "9" or "A" <= neighbour <= "Z"):
        return "latin"
    if token_char_class == "han" and is_han(neighbour):
        return "han"
    return None


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _make_token(kind: Kind, text: str, ids: frozenset[int]) -> _Token:
    return _Token(kind, ids, _char_class(text[0], kind), _char_class(text[-1], kind))


class _Owners:
    """Which decoys each literal belongs to, and as what, while a matcher is built.

    Literals are collected kind by kind and deduplicated once at the end: a million decoys are
    three million literals, nearly all with a single owner, so the common case stays in C.
    """

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.codes: list[int] = []  # per text: index into KINDS, or -1 for a group
        self.ids: list[int] = []  # per text: its decoy, or the index of its group
        self.groups: list[tuple[Kind, frozenset[int]]] = []

    def extend(self, kind: Kind, owned: list[tuple[str, int]]) -> None:
        """Literals of one kind, each with its one decoy."""
        self.texts.extend(text for text, _ in owned)
        self.ids.extend(ident for _, ident in owned)
        self.codes.extend([KINDS.index(kind)] * len(owned))

    def group(self, text: str, kind: Kind, idents: list[int]) -> None:
        """A literal of one kind shared by several decoys (a canary phone)."""
        self.texts.append(text)
        self.ids.append(len(self.groups))
        self.codes.append(-1)
        self.groups.append((kind, frozenset(idents)))

    def arrays(
        self,
    ) -> tuple[numpy.ndarray, numpy.ndarray, dict[int, tuple[tuple[Kind, frozenset[int]], ...]], list[str]]:
        """(kind codes, owner ids, shared owners, literals), the literals distinct and sorted by
        their UTF-8 bytes: per literal, its kind and decoy, or -1 and its owners in ``shared``.

        Sorted, because daachorse builds an automaton from sorted patterns more than twice as
        fast as from shuffled ones (3,020,000 literals: 5.4 s against 12.5 s, in GB18030 too,
        where this order is close to sorted); a repeated literal then sits next to its twin."""
        texts = self.texts
        encoded = _byte_strings(texts)
        order = numpy.argsort(encoded, kind="stable")
        encoded = encoded[order]
        ordered = numpy.array(texts, dtype=object)[order]
        codes = numpy.array(self.codes, numpy.int8)[order]
        ids = numpy.array(self.ids, numpy.int64)[order]
        # A literal's first occurrence starts a run of equal ones (nearly always of one).
        starts = numpy.ones(len(ordered), bool)
        if len(ordered) > 1:
            starts[1:] = encoded[1:] != encoded[:-1]
        literals = ordered[starts].tolist()
        kind_codes, owner_ids = codes[starts], ids[starts]
        literal_of = numpy.cumsum(starts) - 1  # per occurrence: its literal
        merged = numpy.flatnonzero((codes == -1) | ~starts | numpy.append(~starts[1:], False))
        owners: dict[int, dict[Kind, set[int]]] = defaultdict(lambda: defaultdict(set))
        for position in merged.tolist():
            kinds = owners[int(literal_of[position])]
            if codes[position] == -1:
                kind, idents = self.groups[ids[position]]
                kinds[kind].update(idents)
            else:
                kinds[KINDS[codes[position]]].add(int(ids[position]))
        shared: dict[int, tuple[tuple[Kind, frozenset[int]], ...]] = {}
        for index, kinds in owners.items():
            kind_codes[index] = -1
            shared[index] = tuple((kind, frozenset(idents)) for kind, idents in kinds.items())
        return kind_codes, owner_ids, shared, literals


def _byte_strings(texts: list[str]) -> numpy.ndarray:
    """``texts`` in UTF-8 as a NumPy array of byte strings, which sorts in C."""
    joined = _encode("\n".join(texts)).split(b"\n")
    return numpy.array(joined if len(joined) == len(texts) else [_encode(text) for text in texts])


def _name_flags(
    literals: list[str], kind_codes: numpy.ndarray, shared: dict[int, tuple[tuple[Kind, frozenset[int]], ...]]
) -> numpy.ndarray:
    """Per literal, :func:`han_edges.name_flags` when it is only ever a name, else 0."""
    only_names = kind_codes == KINDS.index("name")
    for index, owners in shared.items():
        only_names[index] = all(kind == "name" for kind, _ in owners)
    indices = numpy.flatnonzero(only_names)
    flags = numpy.zeros(len(literals), numpy.uint8)
    flags[indices] = name_flags([literals[index] for index in indices.tolist()])
    return flags


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
    if len(hits) == 1:
        # One piece of evidence (the usual case): every decoy it fits gets the same result.
        (hit,) = hits
        if hit.weak:
            return []  # weak evidence needs a second kind that agrees, see below
        excerpt = _excerpt(line, hit.start, hit.end)
        kinds = frozenset((hit.kind,))
        return [
            RecordMatch(ident, kinds, "strong", line_number, hit.start, hit.end, excerpt, hit.decoy_ids)
            for ident in sorted(hit.decoy_ids)
        ]
    support = Counter(chain.from_iterable(hit.decoy_ids for hit in hits))
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
