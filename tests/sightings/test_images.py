"""Label photos: barcodes and OCR text read back to decoy tokens; image bombs refused."""

import datetime
import io
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image, ImageFilter

from canary.campaigns.labels import LabelData, render_labels
from canary.sightings import images
from canary.sightings.images import ocr_available
from canary.sightings.readers import LimitExceeded, Limits, ReaderError, read_any

ROOT = Path(__file__).resolve().parents[2]
LABEL = LabelData(
    waybill_no="SF1234567890123",
    carrier_name="顺丰速运",
    sort_code="571-W01 02",
    recipient_name="张三丰",
    recipient_phone="+8613800138000",
    recipient_address="浙江省杭州市西湖区翠竹苑7栋1203",
    sender_name="路人甲",
    sender_phone="+8613700000000",
    sender_address="广东省深圳市南山区",
    item="母婴用品 奶粉",
    weight_kg=1.2,
    printed_at=datetime.datetime(2024, 5, 1, 10, 0),
)


def label_photo(privacy: bool) -> bytes:
    """Our own label PDF, rasterised, then treated like a phone photo: tilted, soft, JPEG-compressed."""
    pdf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no embeddable CJK font on a bare machine
        render_labels([LABEL], pdf, template="76x130", privacy=privacy)
    page = pypdfium2.PdfDocument(pdf.getvalue())[0]
    image = page.render(scale=200 / 72).to_pil().convert("RGB")
    image = image.rotate(8, expand=True, fillcolor="white").filter(ImageFilter.GaussianBlur(1.2))
    photo = io.BytesIO()
    image.save(photo, "JPEG", quality=40)
    return photo.getvalue()


def matches(matcher, data, name, limits=None):
    chunks = read_any(data, name, limits=limits)
    return [
        (chunk.locate(m.line, m.start), m.decoy_id, m.kinds, m.strength)
        for chunk, m in matcher.match_chunks(chunks)
    ]


def test_a_photographed_label_is_decoded_back_to_its_waybill_number(matcher):
    found = matches(matcher, label_photo(privacy=False), "photo.jpg", Limits(ocr=False))
    assert found == [("photo.jpg [Code128]", 1, {"waybill"}, "strong")]


@pytest.mark.skipif(not ocr_available(), reason="rapidocr-onnxruntime not installed")
def test_ocr_reads_the_masked_recipient_of_a_privacy_label_photo(matcher):
    ((_, decoy, kinds, strength),) = matches(matcher, label_photo(privacy=True), "photo.jpg")
    assert decoy == 1 and strength == "strong"
    assert {"waybill", "masked_name", "masked_phone"} <= kinds


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims to be ``width`` × ``height``: the classic decompression bomb shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_image_is_refused_before_decoding():
    with pytest.raises(LimitExceeded, match="decompression bomb"):
        list(read_any(png_header_only(100_000, 100_000), "bomb.png"))


def test_an_image_over_the_configured_pixel_limit_is_refused():
    with pytest.raises(LimitExceeded, match="pixels"):
        list(read_any(png_header_only(2_000, 2_000), "big.png", limits=Limits(max_image_pixels=1_000_000)))


def test_bytes_that_are_not_an_image_raise_a_reader_error():
    with pytest.raises(ReaderError, match="not a readable image"):
        list(read_any(b"\x89PNG\r\n\x1a\n" + b"\x13" * 200, "broken.png"))


def test_an_image_without_codes_or_text_yields_nothing():
    blank = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(blank, "PNG")
    assert list(read_any(blank.getvalue(), "blank.png", limits=Limits(ocr=False))) == []


@pytest.mark.skipif(not ocr_available(), reason="rapidocr-onnxruntime not installed")
def test_ocr_never_loads_the_engine_into_the_scanning_process():
    # A fresh interpreter: this test process may hold onnxruntime from elsewhere.
    code = (
        "import sys; from PIL import Image, ImageDraw; from canary.sightings.images import ocr_lines\n"
        "image = Image.new('RGB', (600, 200), 'white')\n"
        "ImageDraw.Draw(image).text((20, 60), 'SF1234567890123', fill='black', font_size=48)\n"
        "print(ocr_lines(image, 'label.png'), {'onnxruntime', 'rapidocr_onnxruntime'} & set(sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "['SF1234567890123'] set()"


def test_an_ocr_that_gives_no_answer_in_time_is_a_reader_error(monkeypatch):
    monkeypatch.setattr(images, "OCR_TIMEOUT_SECONDS", 0.01)
    with pytest.raises(ReaderError, match=r"label\.png: OCR gave no answer within 0\.01 s"):
        images.ocr_lines(Image.new("RGB", (60, 20), "white"), "label.png")
