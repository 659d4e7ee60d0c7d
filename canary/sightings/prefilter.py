"""The matcher's first stage: which lines of a block may hold a decoy token. Pure: no Django.

A big dump is mostly records that hold no token. This stage finds the few lines that may, in the
raw bytes in the document's own encoding — UTF-8, or GB18030 (which reads GBK and GB2312) so that a
GBK dump is never transcoded, which would cost as much as the scan:

* token literals, caseless (ASCII only, like ``bytes.upper``), by one double-array Aho-Corasick
  automaton per encoding (daachorse). It was chosen by measurement (``bench/matcher.py``,
  ``docs/BENCHMARKS.md``): on realistic records it searches faster than Hyperscan's literal
  database and builds in about a second for 300,000 literals where Hyperscan took tens of seconds
  (and a minute at a million), so a matcher over a million decoys builds in seconds;
* *shapes* (Hyperscan, a handful of small patterns): separators between digit groups
  (``138 0013 8000``), a character that folds into a token character (full-width digits,
  zero-width spaces), masked phones whose key (first three + last four digits) belongs to a
  decoy, and mask characters after another character (a masked name's surname). The line shapes
  end in ``[^\n]*$`` (multi-line): Hyperscan reports a pattern once per end offset, so a line
  costs one event at its end, however many full-width digits it holds.

Lines with a token literal or a decoy's masked phone go to the exact path, except where the only
literals are names inside Han text (:mod:`canary.sightings.han_edges`), which the exact path would
count only beside another token. Lines with only a shape are folded (those with a folding
character), upper-cased and stripped of every separator, and go on only when a literal shows up.
The answer is a superset of what the exact path finds — nothing here depends on digit boundaries,
and deleting every separator makes at least the joins that normalisation makes — and the property
tests hold it to that.

Field punctuation (``,`` ``;`` ``|`` ``"``) counts as a separator here: a line of a CSV or JSON
dump is read raw, while its records join their cells with tabs (``readers.lines``).

Bytes that are not valid in the encoding cannot hide a token: the exact path decodes with
replacement characters, which match nothing.
"""

from __future__ import annotations

import bisect
import logging
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import NamedTuple

import daachorse
import hyperscan
import numpy

from canary.sightings import han_edges
from canary.sightings.corpus import sample_text
from canary.sightings.normalize import MASK_CHARS, SEPARATORS, fold, folds_to_one_of

log = logging.getLogger(__name__)

UTF8 = "utf-8"
GB18030 = "gb18030"
# From this many patterns the GB18030 automaton is built in a child process (about 0.1 s to start).
CHILD_BUILD_FROM = 100_000
_AUTOMATON_CHILD = str(Path(__file__).with_name("automaton_child.py"))
# Encodings the first stage reads natively; text in any other is transcoded to UTF-8 first.
NATIVE_ENCODINGS = frozenset({UTF8, GB18030})
_ALIASES = {
    "utf_8": UTF8,
    "utf8": UTF8,
    "utf_8_sig": UTF8,
    "gbk": GB18030,
    "gb2312": GB18030,
    "cp936": GB18030,
}

# The shapes, by database id: digit groups and separators, a folding character, masks (a decoy's
# masked phone, and a mask character after another character: a masked name's surname).
SHAPE_JOIN, SHAPE_FOLD, SHAPE_MASKED = 0, 1, 2
# Expression ids in the masks database: the masked phone, and a mask character of 1 to 4 bytes
# (the id is its length, which tells where the character before it ends).
MASKED_PHONE = 0

_ASCII_LETTER = re.compile(b"[A-Za-z]")
# Field punctuation of CSV, TSV and JSON: a record's text has its cells joined by tabs where the
# raw line has ``","``, so in raw lines the first stage takes these for separators too.
FIELD_PUNCTUATION = frozenset(',;|"\r')
_ASCII_SEPARATORS = "".join(sorted(c for c in SEPARATORS | FIELD_PUNCTUATION if c.isascii())).encode()
_OTHER_SEPARATORS = tuple(sorted(char.encode() for char in SEPARATORS if not char.isascii()))
_NEWLINE = re.compile(b"\n")
_NEWLINE_BYTE = ord("\n")
# Mask characters once folded (``＊`` is ``*`` by then, ``x`` is ``X``).
_FOLDED_MASK = re.compile(b"|".join(re.escape(char.encode()) for char in sorted(MASK_CHARS)))
_LETTER_BEFORE_DIGIT = re.compile("([A-Z])(?=[0-9])")
# The longest separator run the join and masked-phone shapes allow: three in a record (normalize's
# rule 2) and, in a raw CSV or JSON line, a quote, a delimiter and a quote at each cell edge.
MAX_SEPARATOR_RUN = 12
# The most bytes a masked phone takes: digits, masks and separator runs of up to 4-byte characters.
_MASKED_PHONE_BYTES = 7 + 4 * (4 + 2 * MAX_SEPARATOR_RUN)
# In GB18030 a character's second byte may look like the first byte of another, so a multi-byte
# pattern also matches across two characters: folding triggers would flag most lines of a Chinese
# dump. Anchored after an ASCII byte, a byte no character starts with, or a line start, and then
# whole characters, they match only where a character starts. UTF-8 needs no such anchor: no
# continuation byte starts a character.
_GB18030_CHARACTER = rb"(?:[\x81-\xfe][\x40-\x7e\x80-\xfe]|[\x81-\xfe][\x30-\x39][\x81-\xfe][\x30-\x39])"
_ALIGNED = {GB18030: rb"(?:^|[\x00-\x80\xff])" + _GB18030_CHARACTER + b"*"}
# Any multi-byte character (a superset: the first stage may flag more, never fewer).
_ANY_CHARACTER = {
    UTF8: rb"(?:[\xc2-\xf4][\x80-\xbf]{1,3})",
    GB18030: rb"(?:[\x81-\xfe][\x40-\x7e\x80-\xfe]|[\x81-\xfe][\x30-\x39][\x81-\xfe][\x30-\x39])",
}


def native_encoding(encoding: str) -> str | None:
    """The name the first stage reads ``encoding`` under, or None when it must be transcoded."""
    name = encoding.lower().replace("-", "_")
    name = _ALIASES.get(name, name.replace("_", "-"))
    return name if name in NATIVE_ENCODINGS else None


class _Stage:
    """The compiled search for one byte encoding: one double-array Aho-Corasick automaton over
    every token literal (upper-cased bytes), and one Hyperscan database per shape.
    """

    def __init__(
        self,
        encoding: str,
        literals: list[str],
        names: numpy.ndarray,
        shapes: dict[int, tuple[tuple[int, bytes], ...]],
    ) -> None:
        # Literals are distinct, but in GB18030 two may upper-case to the same bytes (only the
        # UTF-8 stage, where they stay distinct, tells which literal it found).
        encoded = _encoded_upper(literals, encoding)
        # UTF-8 spellings of distinct literals are distinct (the literals are upper-cased already).
        patterns = encoded if encoding == UTF8 else list(dict.fromkeys(encoded))
        self.automaton = _automaton(patterns, encoding) if patterns else None
        # Per pattern, what a Han neighbour means (``han_edges``); a pattern shared by literals
        # counts as a name only when all of them are names.
        self.names = names if len(patterns) == len(encoded) else _shared_flags(encoded, patterns, names)
        # Caseless by upper-casing the text first, which only pays when a literal has a letter.
        self.caseless = _ASCII_LETTER.search(b"\n".join(patterns)) is not None
        # One database per shape: Hyperscan runs each alone about twice as fast as all together.
        self.shapes = {ident: _pattern_db(pattern) for ident, pattern in shapes.items()}
        # The same masked phone shape in Python, to read the key of one that Hyperscan reports.
        self.masked_phone = re.compile(_masked_phone_pattern(encoding) + rb"\Z")
        self.encoding = encoding

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["automaton"] = None if self.automaton is None else self.automaton.serialize()
        state["shapes"] = {ident: hyperscan.dumpb(db) for ident, db in state["shapes"].items()}
        return state

    def __setstate__(self, state: dict) -> None:
        if state["automaton"] is not None:
            state["automaton"] = daachorse.DoubleArrayAhoCorasick.deserialize(state["automaton"])
        state["shapes"] = {ident: _loaded(blob) for ident, blob in state["shapes"].items()}
        self.__dict__.update(state)

    def literal_hits(self, data: bytes) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """(starts, ends, patterns) of every literal occurrence in ``data``, overlapping ones too:
        a hit left out as embedded must not hide another that overlaps it."""
        if self.automaton is None:
            return _NO_HITS
        found = self.automaton.find_overlapping(data.upper() if self.caseless else data)
        if not found:
            return _NO_HITS
        flat = numpy.fromiter(chain.from_iterable(found), numpy.int64, 3 * len(found)).reshape(-1, 3)
        return flat[:, 0], flat[:, 1], flat[:, 2]

    def shape_events(self, data: bytes, masked_keys: _MaskedKeys) -> _ShapeEvents:
        """The last byte of each line with a join or a folding character, of each masked phone
        whose key belongs to a decoy, and the first byte of each mask character that follows
        another character."""
        events = _ShapeEvents([], [], [], [])
        phone_ends: list[int] = []

        def on_masked(ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            if ident == MASKED_PHONE:
                phone_ends.append(end)
            else:
                events.masks.append(end - ident)

        # These shapes run to the end of the line: ``end - 1`` is the line's last byte.
        def on_fold(_ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            events.folding.append(end - 1)

        def on_join(_ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            events.joins.append(end - 1)

        handlers = {SHAPE_JOIN: on_join, SHAPE_FOLD: on_fold, SHAPE_MASKED: on_masked}
        for ident, database in self.shapes.items():
            database.scan(data, match_event_handler=handlers[ident])
        if phone_ends:
            events.masked.extend(self._decoy_masked_phones(data, phone_ends, masked_keys))
        return events

    def _decoy_masked_phones(self, data: bytes, ends: list[int], masked_keys: _MaskedKeys) -> list[int]:
        """The last bytes of the masked phones ending at ``ends`` whose key belongs to a decoy.
        Most masked phones in a dump are nobody's: their last four digits, read for all at once,
        rule them out before any is parsed."""
        buf = numpy.frombuffer(data, numpy.uint8)
        positions = numpy.array(ends, numpy.int64)
        last_four = numpy.zeros(len(positions), numpy.int64)
        for back in range(4, 0, -1):
            last_four = last_four * 10 + (buf[positions - back].astype(numpy.int64) - ord("0"))
        found_ends = []
        for end in positions[numpy.isin(last_four, masked_keys.last_four)].tolist():
            found = self.masked_phone.search(data, max(0, end - _MASKED_PHONE_BYTES), end)
            if found is not None and found.group(1) + found.group(2) in masked_keys.keys:
                found_ends.append(end - 1)
        return found_ends


class _MaskedKeys(NamedTuple):
    """Masked phone keys (first three + last four digits) of decoys, and their last four digits."""

    keys: frozenset[bytes]
    last_four: numpy.ndarray


class _ShapeEvents(NamedTuple):
    masked: list[int]
    folding: list[int]
    joins: list[int]
    masks: list[int]


_NO_HITS = (numpy.zeros(0, numpy.int64),) * 3


class _Lines:
    """The lines of a block, found once with NumPy: which line a byte is on, and its span."""

    def __init__(self, data: bytes) -> None:
        self.size = len(data)
        self.newlines = numpy.flatnonzero(numpy.frombuffer(data, numpy.uint8) == _NEWLINE_BYTE)

    def of(self, positions: numpy.ndarray | list[int]) -> numpy.ndarray:
        """Line numbers of byte positions that are not newlines."""
        return numpy.searchsorted(self.newlines, positions)

    def spans(self, numbers: numpy.ndarray) -> list[tuple[int, int, int]]:
        """(line number, start, end) of each line, without its newline."""
        newlines, count = self.newlines, len(self.newlines)
        return [
            (
                number,
                0 if number == 0 else int(newlines[number - 1]) + 1,
                self.size if number >= count else int(newlines[number]),
            )
            for number in numbers.tolist()
        ]


class Prefilter:
    """Compiled first stage. Not thread-safe (Hyperscan scratch space); it pickles."""

    def __init__(
        self,
        literals: list[str],
        triggers: list[str],
        masked_keys: Iterable[str],
        plain_literals: bool,
        names: numpy.ndarray | None = None,
    ) -> None:
        """``names``: per literal, its :func:`han_edges.name_flags` (0 for a literal that is not
        only ever a decoy's name)."""
        # Without separators in any literal, deleting every separator finds at least the literals
        # that joining some of them (normalize's rule 2) could create.
        self.plain_literals = plain_literals
        # Masked phones whose key (first three + last four digits) belongs to a decoy; other
        # masked phones are weak evidence for nobody. The shape finds every masked phone and the
        # key is looked up here: a shape naming every key took Hyperscan seconds to compile.
        keys = frozenset(key.encode() for key in masked_keys if len(key) == 7 and key.isdigit())
        self.masked_keys = _MaskedKeys(keys, numpy.array(sorted({int(key[3:]) for key in keys}), numpy.int64))
        letters = "".join(sorted(_letters_before_digits(literals)))
        if names is None:
            names = numpy.zeros(len(literals), numpy.uint8)
        has_names = bool((names & han_edges.FIRST_HAN).any())
        self.stages = {
            encoding: _Stage(
                encoding,
                literals,
                names,
                _shape_patterns(triggers, bool(self.masked_keys.keys), has_names, letters, encoding),
            )
            for encoding in sorted(NATIVE_ENCODINGS)  # GB18030 first: see _automaton
        }
        for stage in self.stages.values():
            if isinstance(stage.automaton, _ChildBuild):
                stage.automaton = stage.automaton.result()

    # -- literals in normalised text (the exact path) ----------------------------------------------

    def literal_starts(self, data: bytes) -> list[tuple[int, int]]:
        """(literal index, byte offset) of every token literal in upper-cased UTF-8 ``data``."""
        stage = self.stages[UTF8]
        if stage.automaton is None:
            return []
        # UTF-8 spellings of distinct literals are distinct: a pattern is its literal.
        return [(pattern, start) for start, _end, pattern in stage.automaton.find_overlapping(data)]

    # -- lines of a block --------------------------------------------------------------------------

    def candidate_lines(self, data: bytes, encoding: str = UTF8) -> list[tuple[int, int, int]]:
        """(line number, start, end) of every line of ``data`` that may hold a token, in order.

        Line numbers count from 0; ``start``/``end`` are byte offsets of the line without its
        newline. ``encoding`` must be one of :data:`NATIVE_ENCODINGS`.
        """
        stage = self.stages[encoding]
        shapes = stage.shape_events(data, self.masked_keys)
        starts, ends, patterns = stage.literal_hits(data)
        if not len(starts) and not (shapes.masked or shapes.folding or shapes.joins):
            return []
        lines = _Lines(data)
        folding = numpy.unique(lines.of(shapes.folding))
        hit_lines = lines.of(ends - 1)
        # Lines that need the exact path: a token literal (not an embedded name, see below) or a
        # decoy's masked phone.
        used = _hits_the_exact_path_uses(
            data, stage, (starts, ends, patterns), hit_lines, lines, shapes.masks
        )
        exact = numpy.unique(numpy.concatenate((hit_lines[used], lines.of(shapes.masked))))
        # Lines that may hold a token once normalised: with folding characters, with joins only.
        folded = numpy.setdiff1d(folding, exact, assume_unique=True)
        joined = numpy.setdiff1d(lines.of(shapes.joins), numpy.union1d(exact, folding))
        found = lines.spans(exact)
        if not self.plain_literals:
            # A literal with a separator in it: deleting separators could hide it; read them all.
            return sorted(found + lines.spans(folded) + lines.spans(joined))
        # Folding is slow (a table lookup per character): only lines with a folding character need
        # it; the others are upper-cased. Then every separator goes, which finds at least the
        # literals that joining some of them (normalize's rule 2) could create.
        if len(folded):
            spans = lines.spans(folded)
            text = fold(_decoded(data, spans, encoding)).encode("utf-8", "surrogatepass")
            found += self._holding_literals(spans, _without_separators(text))
            # Folding changes no Han text and deletes no separator: names are judged as in raw lines.
            found += self._holding_names(spans, text)
        if len(joined):
            spans = lines.spans(joined)
            if encoding == UTF8:
                text = b"\n".join(data[start:end] for _, start, end in spans)
            else:
                text = _decoded(data, spans, encoding).encode("utf-8", "surrogatepass")
            # Joins never touch Han text, so a name here was already judged in the raw line.
            found += self._holding_literals(spans, _without_separators(text))
        found = sorted(set(found))
        return found

    def _holding_literals(
        self, lines: list[tuple[int, int, int]], normalised: bytes
    ) -> list[tuple[int, int, int]]:
        """The ``lines`` whose normalised forms (``normalised``, one per line) hold a token
        literal other than a name (names are judged where separators are still in place)."""
        line_starts = [0] + [found.end() for found in _NEWLINE.finditer(normalised)]
        name_flags = self.stages[UTF8].names
        holding = {
            bisect.bisect_right(line_starts, start) - 1
            for pattern, start in self.literal_starts(normalised)
            if not name_flags[pattern] & han_edges.NAME
        }
        return [lines[index] for index in sorted(holding)]

    def _holding_names(self, lines: list[tuple[int, int, int]], folded: bytes) -> list[tuple[int, int, int]]:
        """The ``lines`` whose folded forms (``folded``, UTF-8, one per line) hold a name the
        exact path would count (not embedded in Han text, or beside its masked surname)."""
        stage = self.stages[UTF8]
        starts, ends, patterns = stage.literal_hits(folded)
        names = (stage.names[patterns] & han_edges.NAME) != 0
        if not names.any():
            return []
        hits = (starts[names], ends[names], patterns[names])
        folded_lines = _Lines(folded)
        hit_lines = folded_lines.of(hits[1] - 1)
        masks = [found.start() for found in _FOLDED_MASK.finditer(folded)]
        used = _hits_the_exact_path_uses(folded, stage, hits, hit_lines, folded_lines, masks)
        return [lines[index] for index in numpy.unique(hit_lines[used]).tolist()]


def _hits_the_exact_path_uses(
    data: bytes,
    stage: _Stage,
    hits: tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray],
    hit_lines: numpy.ndarray,
    lines: _Lines,
    masks: list[int],
) -> numpy.ndarray:
    """Which literal hits in ``data`` (in ``stage``'s encoding) send their line to the exact
    path: all but names embedded in Han text (``han_edges``), which count there only as support
    for a decoy that another token of the record points to — and such a token flags the line
    itself — or beside a masked name with the same surname (``王*`` beside ``王玉兰花``: together
    a weak match). ``masks``: where mask characters that follow another character start."""
    starts, ends, patterns = hits
    embedded = han_edges.embedded(data, stage.encoding, starts, ends, stage.names[patterns])
    if not embedded.any():
        return numpy.ones(len(starts), bool)
    kept = ~embedded
    if masks:
        kept |= embedded & _same_surname_masked(data, stage.encoding, masks, starts, hit_lines, lines)
    return kept


def _same_surname_masked(
    data: bytes,
    encoding: str,
    masks: list[int],
    starts: numpy.ndarray,
    hit_lines: numpy.ndarray,
    lines: _Lines,
) -> numpy.ndarray:
    """Per hit: whether its line holds a mask character (first bytes at ``masks``) right after
    the hit's first character."""
    buf = numpy.frombuffer(data, numpy.uint8)
    mask_lines = lines.of(masks)
    before = han_edges.char_codes_before(buf, numpy.array(masks, numpy.int64), encoding)
    # A line number and a character's bytes, as one key (a character takes at most 24 bits here).
    surnames = (mask_lines[before >= 0] << 24) | before[before >= 0]
    first_chars = (hit_lines << 24) | han_edges.char_codes_at(buf, starts, encoding)
    same = numpy.isin(first_chars, surnames)
    # A four-byte first character is more than a key holds: any mask on the line keeps the hit.
    wide = han_edges.wide_first_char(buf, starts, encoding)
    return same | (wide & numpy.isin(hit_lines, mask_lines))


def _automaton(patterns: list[bytes], encoding: str) -> daachorse.DoubleArrayAhoCorasick | _ChildBuild:
    """The literal automaton; the UTF-8 one laid out by sample records (:mod:`corpus`), which
    measured faster there and no faster in GB18030. A big GB18030 one is started in a child
    process (:class:`_ChildBuild`): the stages are made GB18030 first, so the UTF-8 automaton is
    built here meanwhile."""
    if encoding != UTF8 and len(patterns) >= CHILD_BUILD_FROM and not any(b"\n" in p for p in patterns):
        return _ChildBuild(patterns)
    corpus = [sample_text(encoding)] if encoding == UTF8 else None
    return daachorse.DoubleArrayAhoCorasick(patterns, corpus=corpus)


class _ChildBuild:
    """An automaton being built by a child process (``automaton_child.py``): a big matcher's two
    automata then take the two cores at once (at a million decoys each takes about 6 s)."""

    def __init__(self, patterns: list[bytes]) -> None:
        self.patterns = patterns
        self.process = subprocess.Popen(
            [sys.executable, "-P", _AUTOMATON_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.process.stdin is not None
        self.process.stdin.write(b"\n".join(patterns))
        self.process.stdin.close()

    def result(self) -> daachorse.DoubleArrayAhoCorasick:
        assert self.process.stdout is not None
        serialised = self.process.stdout.read()
        if self.process.wait() != 0 or not serialised:
            # A child that could not start or died (memory): build it here, only slower.
            log.warning("automaton child exited with %s; building in process", self.process.returncode)
            return daachorse.DoubleArrayAhoCorasick(self.patterns)
        return daachorse.DoubleArrayAhoCorasick.deserialize(serialised)


def _shared_flags(encoded: list[bytes], patterns: list[bytes], flags: numpy.ndarray) -> numpy.ndarray:
    """Per pattern, the flags all of its literals share (literals that encode alike)."""
    index = {pattern: at for at, pattern in enumerate(patterns)}
    shared = numpy.full(len(patterns), 0xFF, numpy.uint8)
    for pattern, flag in zip(encoded, flags.tolist(), strict=True):
        shared[index[pattern]] &= flag
    return shared


def _letters_before_digits(literals: list[str]) -> set[str]:
    """Upper-case letters that some literal has right before a digit."""
    return set(_LETTER_BEFORE_DIGIT.findall("\n".join(literals)))


def _decoded(data: bytes, lines: list[tuple[int, int, int]], encoding: str) -> str:
    return b"\n".join(data[start:end] for _, start, end in lines).decode(
        encoding, "surrogatepass" if encoding == UTF8 else "replace"
    )


def _without_separators(data: bytes) -> bytes:
    """UTF-8 ``data`` upper-cased, every separator and field punctuation character deleted."""
    data = data.translate(None, _ASCII_SEPARATORS)
    for separator in _OTHER_SEPARATORS:
        data = data.replace(separator, b"")
    return data.upper()


# -- compiling ---------------------------------------------------------------------------------------


def _alternation(chars: Iterable[str], encoding: str) -> bytes:
    """A Hyperscan byte-level alternation matching any one of ``chars`` in ``encoding``.

    Characters that differ in their last byte only share a branch (``\\xef\\xbc[\\x90-\\x99]``
    for the full-width digits in UTF-8), which keeps the pattern within Hyperscan's length limit.
    """
    by_lead: dict[bytes, set[int]] = defaultdict(set)
    for char in chars:
        try:
            encoded = char.encode(encoding)
        except UnicodeEncodeError:
            continue  # a character the encoding cannot write cannot be in text written in it
        by_lead[encoded[:-1]].add(encoded[-1])
    parts = [
        "".join(f"\\x{b:02x}" for b in lead) + "[" + "".join(f"\\x{b:02x}" for b in sorted(last)) + "]"
        for lead, last in sorted(by_lead.items())
    ]
    return ("(?:" + "|".join(parts) + ")").encode()


def _encoded_upper(literals: list[str], encoding: str) -> list[bytes]:
    """Every literal in ``encoding``, upper-cased; encoded at once, which is many times faster."""
    errors = "surrogatepass" if encoding == UTF8 else "strict"
    joined = "\n".join(literals)
    if not literals or joined.count("\n") != len(literals) - 1:
        return [text.encode(encoding, errors).upper() for text in literals]
    return joined.encode(encoding, errors).upper().split(b"\n")


def _separator_and_mask(encoding: str) -> tuple[bytes, bytes]:
    """Byte-level alternations for one separator (field punctuation included) and one mask character."""
    separator = _alternation(folds_to_one_of(SEPARATORS) + sorted(FIELD_PUNCTUATION), encoding)
    return separator, _alternation(folds_to_one_of(MASK_CHARS), encoding)


def _masked_phone_pattern(encoding: str) -> bytes:
    """Any masked phone (``138****5678`` with separators around the mask), ending at its last digit."""
    sep, mask = _separator_and_mask(encoding)
    gap = sep + b"{0,%d}" % MAX_SEPARATOR_RUN
    return b"([0-9]{3})" + gap + mask + b"{4}" + gap + b"([0-9]{4})"


def _shape_patterns(
    triggers: list[str], masked: bool, names: bool, letters: str, encoding: str
) -> dict[int, tuple[tuple[int, bytes], ...]]:
    """Patterns for lines that may hide a token behind a spelling, one report per line (the
    masked phone shape: one report per masked phone, whose key is then looked up).

    Compiled caseless, so they run on the raw bytes (``[A-Z]`` also matches ``a-z``, as on
    upper-cased text). Separator runs hold field punctuation and may be longer than normalize's
    joins allow (up to :data:`MAX_SEPARATOR_RUN`): a raw CSV or JSON line has a few more such
    characters around cell edges than its records (``readers.lines``). Joins after letters matter
    only before the ``letters`` that come right before a digit in some literal (``SF 1234…``),
    not after every word (``50ml 2024``).
    """
    sep, _mask = _separator_and_mask(encoding)
    run = b"{1,%d}" % MAX_SEPARATOR_RUN
    before = b"[0-9]{3}" + (b"|[A-Z][" + re.escape(letters.encode()) + b"]" if letters else b"")
    patterns = {SHAPE_JOIN: b"(?:" + before + b")" + sep + run + b"[0-9]{3}"}
    if triggers:
        patterns[SHAPE_FOLD] = _ALIGNED.get(encoding, b"") + _alternation(triggers, encoding)
    shapes = {ident: ((0, pattern + rb"[^\n]*$"),) for ident, pattern in patterns.items()}
    masks = ((MASKED_PHONE, _masked_phone_pattern(encoding)),) if masked else ()
    if names:
        masks += _after_a_character(encoding)
    if masks:
        shapes[SHAPE_MASKED] = masks
    return shapes


def _after_a_character(encoding: str) -> tuple[tuple[int, bytes], ...]:
    """Expressions for a mask character right after a multi-byte character (a masked name's
    surname), one per length of the mask character's encoding, which is its id."""
    by_length: dict[int, list[str]] = defaultdict(list)
    for char in folds_to_one_of(MASK_CHARS):
        try:
            by_length[len(char.encode(encoding))].append(char)
        except UnicodeEncodeError:
            continue
    return tuple(
        (length, _ANY_CHARACTER[encoding] + _alternation(chars, encoding))
        for length, chars in sorted(by_length.items())
    )


def _pattern_db(expressions: tuple[tuple[int, bytes], ...]) -> hyperscan.Database:
    return _loaded(_compiled_pattern(expressions))


@lru_cache(maxsize=16)
def _compiled_pattern(expressions: tuple[tuple[int, bytes], ...]) -> bytes:
    """A shape compiled once per process: they seldom change from one build to the next (the
    folding characters depend on the tokens' alphabet only), so an update need not compile them."""
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[pattern for _, pattern in expressions],
        ids=[ident for ident, _ in expressions],
        elements=len(expressions),
        flags=[hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE] * len(expressions),
    )
    return hyperscan.dumpb(database)


def _loaded(blob: bytes) -> hyperscan.Database:
    database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
    database.scratch = hyperscan.Scratch(database)
    return database
