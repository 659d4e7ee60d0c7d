"""From a document's bytes to located decoy mentions: readers, then the matcher. Pure: no Django.

Line-based dumps go to the matcher in place (:meth:`Matcher.match_lines`); every other part is
matched chunk by chunk. The scan tasks and the matcher benchmark both come through here.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from canary.sightings.chunking import shift_location
from canary.sightings.matcher import Locatable, Matcher, RecordMatch
from canary.sightings.readers import Limits, LineDocument, ReaderError, read_parts


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
    for in_place, group in groupby(parts, key=lambda part: isinstance(part, LineDocument)):
        if in_place:
            for document in group:
                yield from matcher.match_lines(document)
        else:
            yield from matcher.match_chunks(group)


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
