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
  zero-width spaces), and masked phones whose key (first three +
  last four digits) belongs to a decoy. Each shape ends in ``[^\\n]*$`` (multi-line): Hyperscan
  reports a pattern once per end offset, so a line costs one event at its end, however many
  full-width digits it holds.

Lines with a token literal or a decoy's masked phone go to the exact path. Lines with only a shape
are folded (those with a folding character), upper-cased and stripped of every separator, and go
on only when a literal shows up. The answer is a superset of what the exact path finds — nothing
here depends on digit boundaries, and deleting every separator makes at least the joins that
normalisation makes — and the property tests hold it to that.

Field punctuation (``,`` ``;`` ``|`` ``"``) counts as a separator here: a line of a CSV or JSON
dump is read raw, while its records join their cells with tabs (``readers.lines``).

Bytes that are not valid in the encoding cannot hide a token: the exact path decodes with
replacement characters, which match nothing.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

import daachorse
import hyperscan

from canary.sightings.normalize import MASK_CHARS, SEPARATORS, fold, folds_to_one_of

UTF8 = "utf-8"
GB18030 = "gb18030"
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

# The shapes, by database id: digit groups and separators, a folding character, a decoy's masked phone.
SHAPE_JOIN, SHAPE_FOLD, SHAPE_MASKED = 0, 1, 2

_ASCII_LETTER = re.compile(b"[A-Za-z]")
# Field punctuation of CSV, TSV and JSON: a record's text has its cells joined by tabs where the
# raw line has ``","``, so in raw lines the first stage takes these for separators too.
FIELD_PUNCTUATION = frozenset(',;|"\r')
_ASCII_SEPARATORS = "".join(sorted(c for c in SEPARATORS | FIELD_PUNCTUATION if c.isascii())).encode()
_OTHER_SEPARATORS = tuple(sorted(char.encode() for char in SEPARATORS if not char.isascii()))
_NEWLINE = re.compile(b"\n")
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


def native_encoding(encoding: str) -> str | None:
    """The name the first stage reads ``encoding`` under, or None when it must be transcoded."""
    name = encoding.lower().replace("-", "_")
    name = _ALIASES.get(name, name.replace("_", "-"))
    return name if name in NATIVE_ENCODINGS else None


class _Stage:
    """The compiled search for one byte encoding: one double-array Aho-Corasick automaton over
    every token literal (upper-cased bytes), and one Hyperscan database per shape.
    """

    def __init__(self, encoding: str, literals: list[str], shapes: dict[int, bytes]) -> None:
        # Literals are distinct, but in GB18030 two may upper-case to the same bytes (only the
        # UTF-8 stage, where they stay distinct, tells which literal it found).
        patterns = list(dict.fromkeys(_encoded_upper(literals, encoding)))
        self.automaton = daachorse.DoubleArrayAhoCorasick(patterns) if patterns else None
        # Caseless by upper-casing the text first, which only pays when a literal has a letter.
        self.caseless = _ASCII_LETTER.search(b"\n".join(patterns)) is not None
        # One database per shape: Hyperscan runs each alone about twice as fast as all together.
        self.shapes = {ident: _pattern_db(pattern) for ident, pattern in shapes.items()}
        # The same masked phone shape in Python, to read the key of one that Hyperscan reports.
        self.masked_phone = re.compile(_masked_phone_pattern(encoding) + rb"\Z")

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

    def literal_ends(self, data: bytes) -> list[tuple[int, int, int]]:
        """(start, end, pattern) of literal occurrences in ``data``, enough to flag every line that
        holds one: a literal that overlaps a reported one lies on the same line."""
        if self.automaton is None:
            return []
        return self.automaton.find(data.upper() if self.caseless else data)


class Prefilter:
    """Compiled first stage. Not thread-safe (Hyperscan scratch space); it pickles."""

    def __init__(
        self,
        literals: list[str],
        triggers: list[str],
        masked_keys: Iterable[str],
        plain_literals: bool,
    ) -> None:
        # Without separators in any literal, deleting every separator finds at least the literals
        # that joining some of them (normalize's rule 2) could create.
        self.plain_literals = plain_literals
        # Masked phones whose key (first three + last four digits) belongs to a decoy; other
        # masked phones are weak evidence for nobody. The shape finds every masked phone and the
        # key is looked up here: a shape naming every key took Hyperscan seconds to compile.
        self.masked_keys = frozenset(key.encode() for key in masked_keys if len(key) == 7 and key.isdigit())
        letters = "".join(sorted(_letters_before_digits(literals)))
        self.stages = {
            encoding: _Stage(
                encoding, literals, _shape_patterns(triggers, bool(self.masked_keys), letters, encoding)
            )
            for encoding in sorted(NATIVE_ENCODINGS)
        }

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
        size = len(data)
        # Byte positions inside lines that need a look. ``sure``: a token literal or a decoy's
        # masked phone — the exact path. ``maybe``: a shape only — normalised first.
        sure: list[int] = [end - 1 for _start, end, _pattern in stage.literal_ends(data)]
        maybe: list[int] = []
        folding: set[int] = set()  # the maybe lines with a folding character (by their last byte)

        masked_keys, masked_phone = self.masked_keys, stage.masked_phone

        def on_masked(_ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            found = masked_phone.search(data, max(0, end - _MASKED_PHONE_BYTES), end)
            if found is not None and found.group(1) + found.group(2) in masked_keys:
                sure.append(end - 1)

        # These shapes run to the end of the line: ``end - 1`` is the line's last byte.
        def on_fold(_ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            folding.add(end - 1)

        def on_join(_ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            maybe.append(end - 1)

        handlers = {SHAPE_JOIN: on_join, SHAPE_FOLD: on_fold, SHAPE_MASKED: on_masked}
        for ident, database in stage.shapes.items():
            database.scan(data, match_event_handler=handlers[ident])
        maybe += folding
        if not sure and not maybe:
            return []
        events = sorted([(position, True) for position in sure] + [(position, False) for position in maybe])

        exact: list[tuple[int, int, int]] = []
        # Lines that may hold a token once normalised: with folding characters, with joins only.
        folded: list[tuple[int, int, int]] = []
        joined: list[tuple[int, int, int]] = []
        line_start, line_end, line_number, counted_to = -1, -1, 0, 0
        needs_exact, flagged = False, False
        for position, reason in [*events, (size, False)]:
            if line_start <= position < line_end:
                needs_exact = needs_exact or reason
                continue
            if flagged:
                line = (line_number, line_start, line_end)
                if needs_exact:
                    exact.append(line)
                elif line_end - 1 in folding:
                    folded.append(line)
                else:
                    joined.append(line)
            if position >= size:
                break
            line_start = data.rfind(b"\n", 0, position) + 1
            found_end = data.find(b"\n", position)
            line_end = size if found_end < 0 else found_end
            line_number += data.count(b"\n", counted_to, line_start)
            counted_to = line_start
            needs_exact, flagged = reason, True
        if not self.plain_literals:
            # A literal with a separator in it: deleting separators could hide it; read them all.
            return sorted(exact + folded + joined)
        # Folding is slow (a table lookup per character): only lines with a folding character need
        # it; the others are upper-cased. Then every separator goes, which finds at least the
        # literals that joining some of them (normalize's rule 2) could create.
        if folded:
            text = fold(_decoded(data, folded, encoding)).encode("utf-8", "surrogatepass")
            exact += self._holding_literals(folded, _without_separators(text))
        if joined:
            if encoding == UTF8:
                lines = b"\n".join(data[start:end] for _, start, end in joined)
            else:
                lines = _decoded(data, joined, encoding).encode("utf-8", "surrogatepass")
            exact += self._holding_literals(joined, _without_separators(lines))
        exact.sort()
        return exact

    def _holding_literals(
        self, lines: list[tuple[int, int, int]], normalised: bytes
    ) -> list[tuple[int, int, int]]:
        """The ``lines`` whose normalised forms (``normalised``, one per line) hold a token literal."""
        line_starts = [0] + [found.end() for found in _NEWLINE.finditer(normalised)]
        holding = {
            bisect.bisect_right(line_starts, start) - 1 for _, start in self.literal_starts(normalised)
        }
        return [lines[index] for index in sorted(holding)]


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


def _shape_patterns(triggers: list[str], masked: bool, letters: str, encoding: str) -> dict[int, bytes]:
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
    patterns = {ident: pattern + rb"[^\n]*$" for ident, pattern in patterns.items()}
    if masked:
        patterns[SHAPE_MASKED] = _masked_phone_pattern(encoding)
    return patterns


def _pattern_db(pattern: bytes) -> hyperscan.Database:
    return _loaded(_compiled_pattern(pattern))


@lru_cache(maxsize=16)
def _compiled_pattern(pattern: bytes) -> bytes:
    """A shape compiled once per process: they seldom change from one build to the next (the
    folding characters depend on the tokens' alphabet only), so an update need not compile them."""
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[pattern],
        ids=[0],
        elements=1,
        flags=[hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE],
    )
    return hyperscan.dumpb(database)


def _loaded(blob: bytes) -> hyperscan.Database:
    database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
    database.scratch = hyperscan.Scratch(database)
    return database
