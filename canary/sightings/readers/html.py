"""HTML pages: visible text only, one record per text line."""

from __future__ import annotations

from collections.abc import Iterator

from bs4 import BeautifulSoup

from canary.sightings.readers.base import Limits, TextChunk
from canary.sightings.readers.text import iter_line_blocks

_INVISIBLE = ("script", "style", "noscript", "template", "head")


def read_html(data: bytes, name: str, limits: Limits) -> Iterator[TextChunk]:
    soup = BeautifulSoup(data, "lxml")  # lxml honours <meta charset>, GBK pages included
    for tag in soup(_INVISIBLE):
        tag.decompose()
    lines = (" ".join(line.split()) for line in soup.get_text("\n").splitlines())
    text = "\n".join(line for line in lines if line)
    for first_line, block in iter_line_blocks(iter([text]), limits.text_block_chars):
        yield TextChunk(block, name, first_line=first_line)
