"""From a document's bytes to located decoy mentions: readers, then the matcher. Pure: no Django.

Line-based dumps go to the matcher in place (:meth:`Matcher.match_lines`); every other part is
matched chunk by chunk. The scan tasks and the matcher benchmark both come through here.
"""

from __future__ import annotations

from collections.abc import Iterator

from canary.sightings.chunking import shift_location
from canary.sightings.matcher import Locatable, Matcher, RecordMatch
from canary.sightings.readers import Limits, LineDocument, Part, ReaderError, TextChunk, read_parts


def find_matches(
    matcher: Matcher,
    data: bytes,
    name: str,
    limits: Limits | None = None,
    errors: list[ReaderError] | None = None,
) -> Iterator[tuple[Locatable, RecordMatch]]:
    """Every (record, decoy match) in the document ``data`` called ``name``; ``record.locate``
    says where. ``errors`` collects unreadable archive members (see ``read_parts``)."""
    parts = read_parts(data, name, limits, errors)
    pending: Part | None = None
    while True:
        part = pending if pending is not None else next(parts, None)
        pending = None
        if part is None:
            return
        if isinstance(part, LineDocument):
            yield from matcher.match_lines(part)
            # Let go of a read document before the next archive member is unpacked: holding both
            # would double the memory a ZIP of big members costs.
            part = None
            continue

        def chunks(first: TextChunk) -> Iterator[TextChunk]:
            """``first`` and the chunks right after it; a line document ends the run."""
            nonlocal pending
            yield first
            for following in parts:
                if isinstance(following, LineDocument):
                    pending = following
                    return
                yield following

        yield from matcher.match_chunks(chunks(part))


def find_in_part(
    matcher: Matcher, data: bytes, name: str, first_line: int, header: bytes = b""
) -> list[tuple[str, RecordMatch]]:
    """(location, match) in a line-aligned part of a big document that starts at line
    ``first_line`` (1-based); ``header`` is the CSV/TSV header row for a part that lacks it.
    Locations name the lines of the whole document."""
    shift = first_line - 1
    if header:
        data = header + data  # it names the cells; it is line 1 of the part, so shift one less
        shift -= 1
    return [
        (shift_location(record.locate(match.line, match.start), name, shift), match)
        for record, match in find_matches(matcher, data, name)
    ]
