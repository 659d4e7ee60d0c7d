"""OCR of one image in a short-lived process of its own, so the worker's memory stays bounded.

The OCR engine (RapidOCR's PP-OCR models on onnxruntime, with OpenCV) costs about 100 MB to
load and a few hundred MB more while it runs; all of it leaves with this process instead of
staying in the worker that scans documents. Pure: no Django.

Protocol: ``python -P ocr_child.py WIDTH HEIGHT`` (run by path: it imports nothing of ours) reads
the image's RGB pixels (WIDTH × HEIGHT × 3 bytes) on standard input and writes the text lines it
found, top to bottom, as a JSON array on standard output.
"""

from __future__ import annotations

import json
import sys

import numpy as np

# The detector works on the image scaled so its longer side is at most this (RapidOCR's default
# is 2000). Measured on a 2 MP label: 617 MB peak at 2000, 519 MB at 1280, 329-409 MB at 1024,
# with as many or more lines found (docs/BENCHMARKS.md, "Memory per document").
MAX_SIDE = 1024


def recognise(pixels: np.ndarray) -> list[str]:
    """Text lines in an RGB image, top to bottom, left to right."""
    from rapidocr_onnxruntime import RapidOCR  # slow to import: only in this process

    result, _elapsed = RapidOCR(max_side_len=MAX_SIDE)(pixels)
    boxes = sorted(
        result or [],
        key=lambda item: (min(point[1] for point in item[0]), min(point[0] for point in item[0])),
    )
    return [str(text) for _box, text, _score in boxes]


def main(argv: list[str]) -> int:
    width, height = int(argv[1]), int(argv[2])
    pixels = np.frombuffer(sys.stdin.buffer.read(), dtype=np.uint8).reshape(height, width, 3)
    json.dump(recognise(pixels), sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
