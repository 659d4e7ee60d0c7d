"""Images: barcodes, QR codes and OCR text of one photo form one record (one label)."""

from __future__ import annotations

from collections.abc import Iterator

from canary.sightings import images  # module import: images.py itself imports readers.base
from canary.sightings.readers.base import Limits, TextChunk


def read_image(data: bytes, name: str, limits: Limits) -> Iterator[TextChunk]:
    image = images.open_image(data, name, limits)
    parts: list[str] = []
    cells: list[tuple[int, str]] = []
    offset = 0
    found = [(barcode.text, f" [{barcode.format}]") for barcode in images.read_barcodes(image)]
    if limits.ocr:
        found += [
            (line, f" [OCR {index}]") for index, line in enumerate(images.ocr_lines(image, name), start=1)
        ]
    for text, label in found:
        text = " ".join(text.split())
        cells.append((offset, label))
        parts.append(text)
        offset += len(text) + 1
    if parts:
        yield TextChunk(" ".join(parts), name, cells=tuple(cells))
