"""Hostile documents: every reader fails only with ReaderError, one bad archive member does not hide
the others, and images are refused or scaled down before they cost memory.

The fuzzing is bounded (examples per reader, no deadline); the seeds are valid documents of every
format, mutated by hypothesis (bytes overwritten, cut, repeated) so the parsers get past their magic
bytes into the code that breaks.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from canary.sightings import images
from canary.sightings.normalize import normalize
from canary.sightings.readers import LimitExceeded, Limits, ReaderError, read_any

from .test_readers import located, make_zip

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMITS = Limits(ocr=False, max_expanded_bytes=8 << 20, max_member_bytes=4 << 20)
GOOD_CSV = "收件人,电话,地址\n王五,13912345678,朝阳区\n".encode()


def test_a_telegram_export_whose_messages_are_not_objects_fails_alone_in_its_zip(matcher):
    """The poisoned ZIP: the bad chat export is recorded as failed, the decoy in the CSV is found."""
    poisoned = json.dumps({"name": "群", "messages": [1, "文本", None, ["列表"]]}, ensure_ascii=False)
    data = make_zip({"result.json": poisoned.encode(), "orders.csv": GOOD_CSV})
    errors: list[ReaderError] = []
    assert [m[1] for m in located(matcher, data, "dump.zip", errors=errors)] == [3]
    assert len(errors) == 1 and "result.json" in str(errors[0]) and "not an object" in str(errors[0])


def test_a_member_that_breaks_its_library_is_recorded_and_the_rest_still_read(matcher):
    """Not only the failures a reader expects: any exception inside a member becomes its error."""
    truncated_xlsx = _xlsx()[:-200]
    data = make_zip({"book.xlsx": truncated_xlsx, "orders.csv": GOOD_CSV})
    errors: list[ReaderError] = []
    assert [m[1] for m in located(matcher, data, "dump.zip", errors=errors)] == [3]
    assert len(errors) == 1 and "book.xlsx" in str(errors[0])


def test_json_nested_past_the_recursion_limit_is_a_reader_error():
    with pytest.raises(ReaderError):
        list(read_any(b"[" * 100_000 + b"]" * 100_000, "deep.json"))


def test_a_huge_image_is_scaled_down_before_it_is_analysed():
    """A 39.7-megapixel PNG of about 100 KB: decoded once, then analysed at the analysis size."""
    buffer = io.BytesIO()
    Image.new("L", (7300, 5440), 255).save(buffer, "PNG", optimize=True)
    limits = Limits(ocr=False)
    image = images.open_image(buffer.getvalue(), "huge.png", limits)
    assert image.width * image.height <= limits.analysis_pixels
    assert image.width / image.height == pytest.approx(7300 / 5440, rel=0.01)


def test_an_image_file_over_the_byte_limit_is_refused_before_decoding():
    with pytest.raises(LimitExceeded, match="bytes"):
        list(read_any(b"\x89PNG\r\n\x1a\n" + b"\0" * 2048, "big.png", limits=Limits(max_image_bytes=1024)))


# --------------------------------------------------------------------------- fuzzing


def _xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["收件人", "电话"])
    sheet.append(["王五", 13912345678])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Wang Wu 13912345678")
    canvas.save()
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 16), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 16), "white").save(buffer, "JPEG")
    return buffer.getvalue()


SEEDS = {
    "orders.csv": GOOD_CSV,
    "dump.txt": "2024-05-01 10:20:30 张三(12345)\n王五 13912345678\n2024-05-01 10:21:00 李四(2)\n".encode(),
    "orders.jsonl": b'{"name": "\\u738b\\u4e94", "phone": "13912345678"}\n{"a": [1, 2]}\n',
    "result.json": json.dumps(
        {"name": "群", "messages": [{"type": "message", "id": 1, "text": "王五"}]}
    ).encode(),
    "data.json": json.dumps(
        {"rows": [{"收件人": "王五", "电话": "13912345678"}]}, ensure_ascii=False
    ).encode(),
    "page.html": "<html><body><p>王五 13912345678</p><script>x</script></body></html>".encode(),
    "book.xlsx": _xlsx(),
    "scan.pdf": _pdf(),
    "label.png": _png(),
    "label.jpg": _jpeg(),
    "dump.zip": make_zip({"a.csv": GOOD_CSV, "inner.zip": make_zip({"b.txt": b"13912345678"})}),
}


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """``seed`` with a few random edits: bytes overwritten, a slice cut out or repeated, a tail lost."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(["overwrite", "cut", "repeat", "truncate"]))
        if edit == "overwrite":
            data[position : position + 4] = draw(st.binary(min_size=1, max_size=4))
        elif edit == "cut":
            del data[position : position + draw(st.integers(1, 64))]
        elif edit == "repeat":
            data[position:position] = data[position : position + draw(st.integers(1, 64))]
        else:
            del data[position:]
    return bytes(data)


def _only_reader_errors(data: bytes, name: str) -> None:
    errors: list[ReaderError] = []
    try:
        for _ in read_any(data, name, limits=LIMITS, errors=errors):
            pass
    except ReaderError:
        pass
    assert all(isinstance(error, ReaderError) for error in errors)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_mutated_documents_raise_only_reader_errors(name):
    @FUZZ
    @given(data=mutated(SEEDS[name]))
    def check(data):
        _only_reader_errors(data, name)

    check()


@FUZZ
@given(data=st.binary(max_size=2048), name=st.sampled_from([*sorted(SEEDS), "x.bin", "x.tsv"]))
def test_arbitrary_bytes_under_any_name_raise_only_reader_errors(data, name):
    _only_reader_errors(data, name)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(
    document=st.fixed_dictionaries(
        {}, optional={"name": JSON_VALUES, "messages": JSON_VALUES, "chats": JSON_VALUES, "id": JSON_VALUES}
    )
)
def test_telegram_shaped_json_of_any_shape_raises_only_reader_errors(document):
    _only_reader_errors(json.dumps(document).encode(), "result.json")


@FUZZ
@given(text=st.text(max_size=500))
def test_the_normaliser_takes_any_text(text):
    result = normalize(text)
    assert isinstance(result.text, str)


def test_the_reader_zip_accepts_only_zip_members_within_limits():
    """A stored member is still refused past the member limit (the stream is read one byte past it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("big.txt", b"1" * 4096)
    with pytest.raises(LimitExceeded):
        list(read_any(buffer.getvalue(), "a.zip", limits=Limits(max_member_bytes=1024)))
