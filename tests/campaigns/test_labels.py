import dataclasses
import datetime
import io
import re

import pypdf
import pypdfium2
import pytest
import zxingcpp

from canary.campaigns import labels
from canary.campaigns.labels import TEMPLATES, LabelData, find_cjk_font, render_labels

PAGE_SIZES_MM = {"76x130": (76, 130), "100x180": (100, 180)}
MM_PER_POINT = 25.4 / 72

LABEL = LabelData(
    waybill_no="SF1423567890123",
    carrier_name="顺丰速运",
    sort_code="571-W01 02",
    recipient_name="张建伟",
    recipient_phone="+8613800135678",
    recipient_address="浙江省杭州市西湖区文三路478号华星时代广场A座1203室",
    sender_name="李小红",
    sender_phone="13912344321",
    sender_address="广东省深圳市南山区科技园南区高新南七道18号",
    item="母婴用品 奶粉",
    weight_kg=1.25,
    printed_at=datetime.datetime(2025, 3, 1, 10, 22, 33, tzinfo=datetime.UTC),
    dest_depot="杭州西湖文三路营业部",
    origin_depot="深圳南山科技园营业点",
)


def render(labels_: list[LabelData] | None = None, **options) -> bytes:
    out = io.BytesIO()
    render_labels(labels_ or [LABEL], out, **options)
    return out.getvalue()


def page_text(pdf: bytes, page: int = 0) -> str:
    """Text of one page with all whitespace removed, so wrapped addresses read as one string."""
    text = pypdfium2.PdfDocument(pdf)[page].get_textpage().get_text_range()
    return re.sub(r"\s+", "", text)


def barcodes(pdf: bytes) -> list[zxingcpp.Barcode]:
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=300 / 72, grayscale=True).to_pil()
    return zxingcpp.read_barcodes(image)


def texts_of(found: list[zxingcpp.Barcode], fmt: zxingcpp.BarcodeFormat) -> list[str]:
    return [code.text for code in found if code.format == fmt]


@pytest.mark.parametrize("template", TEMPLATES)
def test_barcode_and_qr_scan_as_the_waybill_number(template):
    found = barcodes(render(template=template))

    assert set(texts_of(found, zxingcpp.BarcodeFormat.Code128)) == {LABEL.waybill_no}
    assert texts_of(found, zxingcpp.BarcodeFormat.QRCode) == [LABEL.waybill_no]


def test_customer_stub_of_the_two_ply_label_repeats_the_barcode():
    found = barcodes(render(template="100x180"))

    assert texts_of(found, zxingcpp.BarcodeFormat.Code128) == [LABEL.waybill_no] * 2


def test_qr_carries_the_given_payload_when_one_is_set():
    label = dataclasses.replace(LABEL, qr_payload="https://example.com/q/SF1423567890123")

    found = barcodes(render([label]))

    assert texts_of(found, zxingcpp.BarcodeFormat.QRCode) == [label.qr_payload]


@pytest.mark.parametrize("template", TEMPLATES)
def test_waybill_number_is_printed_under_the_barcode(template):
    assert LABEL.waybill_no in page_text(render(template=template))


@pytest.mark.parametrize("template", TEMPLATES)
def test_page_has_the_label_stock_size(template):
    width_pt, height_pt = pypdfium2.PdfDocument(render(template=template))[0].get_size()

    width_mm, height_mm = PAGE_SIZES_MM[template]
    assert width_pt * MM_PER_POINT == pytest.approx(width_mm, abs=0.5)
    assert height_pt * MM_PER_POINT == pytest.approx(height_mm, abs=0.5)


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_label_gets_its_own_page(template):
    batch = [dataclasses.replace(LABEL, waybill_no=f"SF14235678901{n:02d}") for n in range(3)]
    out = io.BytesIO()

    written = render_labels(batch, out, template=template)

    assert written == 3
    pdf = out.getvalue()
    assert len(pypdfium2.PdfDocument(pdf)) == 3
    assert [batch[n].waybill_no in page_text(pdf, n) for n in range(3)] == [True] * 3


def test_full_label_shows_name_and_national_phone():
    text = page_text(render())

    assert "张建伟13800135678" in text
    assert "李小红139****4321" in text  # the sender is masked on every label
    assert "+86" not in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_privacy_label_shows_only_masked_name_and_phone(template):
    pdf = render(template=template, privacy=True)
    text = page_text(pdf)

    assert "张*伟138****5678" in text
    assert "李*红139****4321" in text
    for full in ("张建伟", "13800135678", "李小红", "13912344321"):
        assert full not in text
        for encoding in ("utf-8", "utf-16-be", "gbk"):
            assert full.encode(encoding) not in pdf


@pytest.mark.parametrize("template", TEMPLATES)
def test_chinese_text_is_extractable_from_the_label(template):
    text = page_text(render(template=template))

    assert LABEL.recipient_name in text
    assert LABEL.recipient_address in text
    assert LABEL.sort_code.replace(" ", "") in text


def test_cjk_font_is_embedded():
    reader = pypdf.PdfReader(io.BytesIO(render()))
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]

    embedded = [font["/BaseFont"] for font in fonts if "/FontFile2" in font.get("/FontDescriptor", {})]
    assert embedded, "no embedded TrueType font"


@pytest.mark.parametrize("privacy", [False, True])
def test_label_pdf_carries_no_decoy_marker(privacy):
    pdf = render(privacy=privacy)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    searchable = [pdf.lower(), page_text(pdf).lower().encode(), metadata.lower().encode()]

    for marker in ("decoy", "canary", "test", "诱饵", "金丝雀"):
        for haystack in searchable:
            assert marker.encode() not in haystack


def test_pdf_title_is_the_neutral_waybill_title():
    reader = pypdf.PdfReader(io.BytesIO(render()))

    assert reader.metadata.title == "电子面单"
    assert not reader.metadata.author


def test_unknown_template_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match=r"76x130.*100x180"):
        render(template="A4")


def test_an_empty_batch_is_refused_and_writes_nothing():
    out = io.BytesIO()

    with pytest.raises(ValueError, match="no labels"):
        render_labels([], out)

    assert out.getvalue() == b""


def test_a_missing_explicit_font_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        render(font_path=str(tmp_path / "missing.ttf"))


def test_explicit_font_path_wins():
    default = find_cjk_font()
    assert default is not None, "this machine needs a CJK TrueType font (fonts-wqy-microhei)"

    assert find_cjk_font(default) == default


def test_labels_fall_back_to_a_builtin_cid_font_with_a_warning(monkeypatch):
    monkeypatch.setattr(labels, "find_cjk_font", lambda explicit=None: None)

    with pytest.warns(RuntimeWarning, match="STSong-Light"):
        pdf = render()

    assert b"/STSong-Light" in pdf
    assert len(pypdfium2.PdfDocument(pdf)) == 1
