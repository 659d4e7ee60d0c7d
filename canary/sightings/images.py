"""Label photos: barcodes and QR codes (zxing-cpp) and Chinese OCR (RapidOCR, PP-OCR models that ship
inside the ``rapidocr-onnxruntime`` wheel: nothing is downloaded at run time). Pure: no Django."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

from canary.sightings.readers.base import LimitExceeded, Limits, ReaderError

logger = logging.getLogger(__name__)

OCR_TIMEOUT_SECONDS = 120
# Run as a script, not ``-m canary...``: importing the package would load Celery into the child;
# ``-P`` keeps this folder's modules from shadowing a library's.
_OCR_CHILD = str(Path(__file__).with_name("ocr_child.py"))


@dataclass(frozen=True)
class Barcode:
    text: str
    format: str


def open_image(data: bytes, name: str, limits: Limits) -> Image.Image:
    """Decode an image within ``limits``: refused by file size and pixel count before its pixels are
    unpacked, and scaled down to ``limits.analysis_pixels`` (JPEGs are decoded at the smaller size)."""
    if len(data) > limits.max_image_bytes:
        raise LimitExceeded(
            f"{name}: image of {len(data):,} bytes, over the limit of {limits.max_image_bytes:,}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            width, height = image.size
            if width * height > limits.max_image_pixels:
                raise LimitExceeded(
                    f"{name}: {width}×{height} pixels, over the limit of {limits.max_image_pixels:,} "
                    "(decompression bomb?)"
                )
            target = _analysis_size(width, height, limits.analysis_pixels)
            image.draft("RGB", target)  # JPEG: decode at a reduced scale; other formats ignore it
            image.load()
            if image.width * image.height > limits.analysis_pixels:
                image.thumbnail(target)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise LimitExceeded(f"{name}: decompression bomb refused ({error})") from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ReaderError(f"{name}: not a readable image ({error})") from error
    return ImageOps.exif_transpose(image).convert("RGB")


def _analysis_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    scale = min(1.0, (max_pixels / max(1, width * height)) ** 0.5)
    return max(1, int(width * scale)), max(1, int(height * scale))


def read_barcodes(image: Image.Image) -> list[Barcode]:
    """Every barcode and QR code zxing-cpp finds (it tries rotations itself); a sharpened greyscale
    copy is tried when the photo is too soft."""
    found = zxingcpp.read_barcodes(image)
    if not found:
        grey = ImageOps.autocontrast(image.convert("L"))
        found = zxingcpp.read_barcodes(grey.point(lambda value: 255 if value > 128 else 0))
    return [Barcode(result.text, result.format.name) for result in found if result.text]


def ocr_available() -> bool:
    """Whether OCR can run here, without loading its models."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def ocr_lines(image: Image.Image, name: str) -> list[str]:
    """Text lines found by OCR, top to bottom; empty if OCR is unavailable.

    OCR runs in a child process (:mod:`canary.sightings.ocr_child`): the engine's few hundred MB
    are returned when it exits, so the worker stays within its memory target whatever it scans.
    """
    if not ocr_available():
        logger.warning("rapidocr-onnxruntime is not installed: images are read for barcodes only")
        return []
    rgb = image.convert("RGB")
    command = [sys.executable, "-P", _OCR_CHILD, str(rgb.width), str(rgb.height)]
    try:
        done = subprocess.run(command, input=rgb.tobytes(), capture_output=True, timeout=OCR_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as error:
        raise ReaderError(f"{name}: OCR gave no answer within {OCR_TIMEOUT_SECONDS} s") from error
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise ReaderError(f"{name}: OCR failed ({reason[0]})")
    return [str(line) for line in json.loads(done.stdout)]
