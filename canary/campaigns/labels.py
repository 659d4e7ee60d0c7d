"""Printable e-waybill labels (电子面单) as PDF. Pure: no Django.

The labels follow the zones of GB/T 41833-2022 (快递电子运单): carrier header, sort code
(三段码, big and bold), Code 128 barcode of the waybill number with the number printed under
it, destination depot, recipient (收), sender (寄), contents (物品) with a QR code of the waybill
number, and a signature zone (签收). Two sizes are offered:

* ``"76x130"`` — 76×130 mm one-ply, the platform standard today; one page per label.
* ``"100x180"`` — 100×180 mm two-ply, the older format; one page per label, the lower ply being
  the customer stub (客户联) with the barcode again and the parties in short.

Labels are planted in real depots, get photographed and leak, so nothing printed on them or
written into the PDF may tell them apart from a genuine label: the document metadata is the
neutral title ``电子面单`` and no value of the caller's is written anywhere but in the zones.

The privacy variant (隐私面单) prints masked names and phones (``张*伟``, ``138****5678``) for
both parties; the full values are never handed to the PDF writer.

Fonts: Chinese needs an embedded CJK TrueType font. :func:`find_cjk_font` takes an explicit
path first, then the usual Debian locations (``fonts-wqy-microhei``, ``fonts-wqy-zenhei``,
``fonts-droid-fallback``, ``fonts-arphic-*``, Noto CJK in TrueType form), then asks fontconfig.
OpenType/CFF fonts (Debian's ``fonts-noto-cjk``) cannot be embedded by ReportLab and are skipped.
If no usable font is found the labels fall back to ReportLab's built-in CID font
``STSong-Light`` with a :class:`RuntimeWarning`: the text still renders in viewers that carry
Adobe's CJK fonts, but the font is not embedded, so printers and other viewers may show tofu.
Fonts are registered once per process.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import os
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import phonenumbers
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib.colors import black
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from canary.campaigns.masking import MASK, mask_name, mask_phone

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DOCUMENT_TITLE = "电子面单"

# Thermal label printers print at 203 dpi (8 dots/mm); bars that are whole dots wide stay crisp.
PRINTER_DOT = 0.125 * mm
MIN_TEXT_SIZE = 6.0  # points; smaller print smudges on thermal paper

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
_REGISTERED_NAME = "WaybillSans"
_CID_FALLBACK = "STSong-Light"


@dataclass(frozen=True)
class LabelData:
    waybill_no: str
    carrier_name: str  # e.g. "顺丰速运"
    sort_code: str  # 三段码, e.g. "571-W01 02"
    recipient_name: str
    recipient_phone: str  # E.164 (+8613800138000) or national
    recipient_address: str
    sender_name: str
    sender_phone: str
    sender_address: str
    item: str  # e.g. "母婴用品 奶粉"
    weight_kg: float
    printed_at: datetime.datetime
    dest_depot: str = ""  # 目的网点 name shown in the destination zone
    origin_depot: str = ""
    qr_payload: str | None = None  # defaults to waybill_no


# --------------------------------------------------------------------------- fonts


_font_numbers = itertools.count(1)


@functools.cache
def _truetype(path: str) -> TTFont | None:
    """The font at ``path`` loaded once, or ``None`` if ReportLab cannot embed it (it embeds
    TrueType outlines only; CFF-flavoured OpenType such as Debian's Noto CJK is refused)."""
    try:
        return TTFont(f"{_REGISTERED_NAME}{next(_font_numbers)}", path, subfontIndex=0)
    except (TTFError, OSError, ValueError):
        return None


@functools.cache
def _fontconfig_chinese_fonts() -> list[str]:
    """Font files fontconfig knows to cover Chinese, best-effort (no fontconfig → none)."""
    if shutil.which("fc-list") is None:
        return []
    try:
        listing = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = (line.split(":", 1)[0].strip() for line in listing.splitlines())
    return sorted(f for f in files if f.lower().endswith((".ttf", ".ttc")))


def find_cjk_font(explicit: str | None = None) -> str | None:
    """Path of a CJK TrueType font ReportLab can embed, or ``None`` if the machine has none.

    An ``explicit`` path wins; it must exist (a misconfigured path is an error, not a reason to
    silently print with another font).
    """
    if explicit:
        if not os.path.isfile(explicit):
            raise FileNotFoundError(f"CJK font not found: {explicit}")
        if _truetype(explicit) is None:
            raise ValueError(f"not an embeddable TrueType font: {explicit}")
        return explicit
    for path in (*_FONT_CANDIDATES, *_fontconfig_chinese_fonts()):
        if os.path.isfile(path) and _truetype(path) is not None:
            return path
    return None


@functools.cache
def _register_font(path: str | None) -> str:
    """Register the label font once per process and return its ReportLab name."""
    if path is None:
        pdfmetrics.registerFont(UnicodeCIDFont(_CID_FALLBACK))
        return _CID_FALLBACK
    font = _truetype(path)
    assert font is not None, "find_cjk_font only returns loadable fonts"
    pdfmetrics.registerFont(font)
    return font.fontName


# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class LabelTemplate:
    name: str
    width_mm: float
    height_mm: float
    draw_frame: Callable[[Canvas, str], None]  # static rules and captions, drawn once per PDF
    draw_fields: Callable[[Canvas, str, _Printed], None]  # one label's values


@dataclass(frozen=True)
class _Printed:
    """The strings a label shows, already masked or formatted for the chosen variant."""

    waybill_no: str
    carrier_name: str
    sort_code: str
    recipient_name: str
    recipient_phone: str
    recipient_address: str
    sender_name: str
    sender_phone: str
    sender_address: str
    item: str
    weight: str
    printed_at: str
    dest_depot: str
    origin_depot: str
    qr_payload: str


def _display_phone(phone: str) -> str:
    """How a full label prints a phone: mobiles as 11 plain digits, landlines ``0571 8888 8888``."""
    try:
        number = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        return phone.strip()
    if number.country_code == 86 and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        return phonenumbers.national_significant_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _local_time(moment: datetime.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TZ)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _printed(label: LabelData, privacy: bool) -> _Printed:
    name = mask_name if privacy else str.strip
    phone = mask_phone if privacy else _display_phone
    return _Printed(
        waybill_no=label.waybill_no,
        carrier_name=label.carrier_name,
        sort_code=label.sort_code,
        recipient_name=name(label.recipient_name),
        recipient_phone=phone(label.recipient_phone),
        recipient_address=label.recipient_address,
        sender_name=name(label.sender_name),
        # Platforms print the sender's phone masked on every label, full or privacy.
        sender_phone=label.sender_phone.strip()
        if MASK in label.sender_phone
        else mask_phone(label.sender_phone),
        sender_address=label.sender_address,
        item=label.item,
        weight=f"{label.weight_kg:.2f}kg",
        printed_at=_local_time(label.printed_at),
        dest_depot=label.dest_depot,
        origin_depot=label.origin_depot,
        qr_payload=label.qr_payload or label.waybill_no,
    )


# --------------------------------------------------------------------------- drawing helpers
# Layouts are written in millimetres measured from the page's top-left corner, as label
# designers specify them; ``_Page`` turns them into PDF points from the bottom-left.


class _Page:
    def __init__(self, canvas: Canvas, height_mm: float, font: str) -> None:
        self.c = canvas
        self.height_mm = height_mm
        self.font = font

    def y(self, top_mm: float) -> float:
        return (self.height_mm - top_mm) * mm

    def hline(self, left: float, right: float, top: float, width: float = 0.5) -> None:
        self.c.setLineWidth(width)
        self.c.line(left * mm, self.y(top), right * mm, self.y(top))

    def vline(self, x: float, top: float, bottom: float, width: float = 0.5) -> None:
        self.c.setLineWidth(width)
        self.c.line(x * mm, self.y(top), x * mm, self.y(bottom))

    def box(self, left: float, top: float, width: float, height: float, line: float = 0.8) -> None:
        self.c.setLineWidth(line)
        self.c.rect(left * mm, self.y(top + height), width * mm, height * mm, stroke=1, fill=0)

    def text(
        self,
        x: float,
        baseline: float,
        text: str,
        size: float,
        *,
        bold: bool = False,
        align: str = "left",
        max_width: float | None = None,
        char_space: float = 0,
    ) -> None:
        """One line of text, fitted to ``max_width`` mm. Bold is drawn as fill+stroke, which is
        how thermal templates embolden a font that has no bold face."""
        if not text:
            return
        if max_width is not None:
            text, size, char_space = self._fit_line(text, size, char_space, max_width * mm)
        width_pt = self._width(text, size, char_space)
        x_pt = x * mm
        if align == "center":
            x_pt -= width_pt / 2
        elif align == "right":
            x_pt -= width_pt
        self.c.setFont(self.font, size)
        if bold:
            self.c.setLineWidth(size * 0.045)
            self.c.setLineJoin(1)  # round joins: mitred strokes spike out of sharp glyph corners
            self.c.drawString(x_pt, self.y(baseline), text, mode=2, charSpace=char_space)
        else:
            self.c.drawString(x_pt, self.y(baseline), text, charSpace=char_space)

    def _width(self, text: str, size: float, char_space: float) -> float:
        return pdfmetrics.stringWidth(text, self.font, size) + char_space * max(len(text) - 1, 0)

    def _fit_line(
        self, text: str, size: float, char_space: float, limit_pt: float
    ) -> tuple[str, float, float]:
        """Shrink an overlong line, but not below a size a depot scanner's eye can read; past
        that, cut the tail with an ellipsis."""
        width = self._width(text, size, char_space)
        if width <= limit_pt:
            return text, size, char_space
        smallest = min(size, MIN_TEXT_SIZE)
        scale = max(limit_pt / width, smallest / size)
        size, char_space = size * scale, char_space * scale
        while len(text) > 1 and self._width(text, size, char_space) > limit_pt:
            text = text[:-2] + "…"
        return text, size, char_space

    def paragraph(
        self, x: float, top: float, width: float, height: float, text: str, size: float, min_size: float
    ) -> None:
        """Wrapped Chinese text (CJK line breaking) shrunk until it fits the box; as a last
        resort the tail is cut with an ellipsis rather than overprinting the next zone."""
        if not text:
            return
        while True:
            para = self._fitting_paragraph(text, width, height, size, min_size)
            if para is not None:
                break
            text = text[:-2] + "…"
        _, used = para.wrap(width * mm, height * mm)
        para.drawOn(self.c, x * mm, self.y(top) - used)

    def _fitting_paragraph(
        self, text: str, width: float, height: float, size: float, min_size: float
    ) -> Paragraph | None:
        while size >= min_size:
            style = ParagraphStyle(
                "zone", fontName=self.font, fontSize=size, leading=size * 1.2, wordWrap="CJK"
            )
            para = Paragraph(escape(text), style)
            _, used = para.wrap(width * mm, height * mm)
            if used <= height * mm + 0.01:
                return para
            size -= 0.5
        return None

    def code128(self, value: str, x: float, top: float, width: float, bar_height: float) -> float:
        """Code 128 centred on ``x`` with 10-module quiet zones, bars a whole number of printer
        dots wide; returns the printed width in mm."""
        modules = Code128(value, barWidth=1, quiet=0).width + 20
        dots = max(2, int(width * mm / modules / PRINTER_DOT))
        bar = dots * PRINTER_DOT
        symbol = Code128(value, barWidth=bar, barHeight=bar_height * mm, lquiet=10 * bar, rquiet=10 * bar)
        symbol.drawOn(self.c, x * mm - symbol.width / 2, self.y(top + bar_height))
        return symbol.width / mm

    def qr(self, value: str, left: float, top: float, side: float) -> None:
        QrCode(value, width=side * mm, height=side * mm, qrLevel="M", qrBorder=2).drawOn(
            self.c, left * mm, self.y(top + side)
        )


SIGNATURE_NOTICE = (
    "快件送达收件人地址，经收件人或收件人（寄件人）允许的代收人签字，视为送达。"
    "您的签字代表您已验收此包裹，并已确认商品信息无误、包装完好、没有划痕、破损等表面质量问题。"
)


# --------------------------------------------------------------------------- 76×130 one-ply
# Zones (mm from top): header 2–10, sort code 10–23, barcode 23–43, depot 43–49, recipient
# 49–71, sender 71–85, contents + QR 85–110, signature 110–128.

_S_LEFT, _S_RIGHT = 2.0, 74.0
_S_ROLE = 9.0  # right edge of the 收/寄 column


def _frame_76x130(canvas: Canvas, font: str) -> None:
    p = _Page(canvas, 130, font)
    p.box(_S_LEFT, 2, _S_RIGHT - _S_LEFT, 126)
    for top in (10, 23, 43, 49, 71, 85, 110):
        p.hline(_S_LEFT, _S_RIGHT, top)
    p.vline(_S_ROLE, 49, 85)
    p.vline(52, 85, 110)
    p.text((_S_LEFT + _S_ROLE) / 2, 62.5, "收", 14, bold=True, align="center")
    p.text((_S_LEFT + _S_ROLE) / 2, 80.5, "寄", 12, bold=True, align="center")
    p.text(_S_RIGHT - 1.5, 8, "标准快递", 9, bold=True, align="right")
    p.text(3.5, 47.3, "目的网点", 7)
    p.text(3.5, 89, "物品:", 7.5)
    p.text(3.5, 99, "重量:", 7)
    p.text(3.5, 103, "始发:", 7)
    p.text(3.5, 107, "打印:", 7)
    p.text(3.5, 114, "签收人/签收时间:", 7.5)
    p.text(_S_RIGHT - 1.5, 114, "已验视", 7.5, bold=True, align="right")
    p.paragraph(3.5, 120.5, 69, 7, SIGNATURE_NOTICE, 5.5, 4.5)


def _fields_76x130(canvas: Canvas, font: str, v: _Printed) -> None:
    p = _Page(canvas, 130, font)
    p.text(3.5, 8, v.carrier_name, 12, bold=True, max_width=44)
    p.text(38, 20.5, v.sort_code, 26, bold=True, align="center", max_width=68)
    p.code128(v.waybill_no, 38, 24.5, 70, 13)
    p.text(38, 41.5, v.waybill_no, 9.5, bold=True, align="center", char_space=1.2)
    p.text(15, 47.5, v.dest_depot, 10, bold=True, max_width=57)
    p.text(10.5, 54, f"{v.recipient_name}  {v.recipient_phone}", 11, bold=True, max_width=62)
    p.paragraph(10.5, 56, 62.5, 14.5, v.recipient_address, 9.5, 6.5)
    p.text(10.5, 75, f"{v.sender_name}  {v.sender_phone}", 7.5, max_width=62)
    p.paragraph(10.5, 76.5, 62.5, 8, v.sender_address, 7, 5)
    p.paragraph(11, 86.3, 40.5, 10, v.item, 7.5, 5.5)
    p.text(11, 99, v.weight, 7)
    p.text(11, 103, v.origin_depot, 7, max_width=40)
    p.text(11, 107, v.printed_at, 7)
    p.qr(v.qr_payload, 52.5, 85.5, 21.5)


# --------------------------------------------------------------------------- 100×180 two-ply
# Main ply (mm from top): header 2–11, sort code 11–26, barcode 26–46, depot 46–53, recipient
# 53–75, sender 75–89, contents + QR 89–111, signature 111–123. Tear line at 125.
# Customer stub: barcode 127–145, recipient 145–156, sender 156–166, contents 166–178.

_L_LEFT, _L_RIGHT = 2.0, 98.0
_L_ROLE = 10.0
_L_TEAR = 125.0


def _frame_100x180(canvas: Canvas, font: str) -> None:
    p = _Page(canvas, 180, font)
    p.box(_L_LEFT, 2, _L_RIGHT - _L_LEFT, 121)
    for top in (11, 26, 46, 53, 75, 89, 111):
        p.hline(_L_LEFT, _L_RIGHT, top)
    p.vline(_L_ROLE, 53, 89)
    p.vline(74, 89, 111)
    p.text((_L_LEFT + _L_ROLE) / 2, 66.5, "收", 16, bold=True, align="center")
    p.text((_L_LEFT + _L_ROLE) / 2, 84, "寄", 14, bold=True, align="center")
    p.text(_L_RIGHT - 2, 9, "标准快递", 11, bold=True, align="right")
    p.text(4, 51.2, "目的网点", 8)
    p.text(4, 93.5, "物品:", 8.5)
    p.text(4, 102.5, "重量:", 8)
    p.text(4, 106, "始发:", 8)
    p.text(4, 109.5, "打印:", 8)
    p.text(4, 114.5, "签收人/签收时间:", 8)
    p.text(_L_RIGHT - 2, 114.5, "已验视", 8, bold=True, align="right")
    p.paragraph(4, 116.5, 92, 6, SIGNATURE_NOTICE, 5.5, 4.5)

    canvas.setDash(3, 2)
    p.hline(0, 100, _L_TEAR, width=0.4)
    canvas.setDash()
    p.box(_L_LEFT, 127, _L_RIGHT - _L_LEFT, 51)
    for top in (145, 156, 166):
        p.hline(_L_LEFT, _L_RIGHT, top)
    p.vline(_L_ROLE, 145, 166)
    p.text((_L_LEFT + _L_ROLE) / 2, 152.5, "收", 11, bold=True, align="center")
    p.text((_L_LEFT + _L_ROLE) / 2, 163, "寄", 11, bold=True, align="center")
    p.text(4, 170.5, "物品:", 7.5)
    p.text(_L_RIGHT - 2, 176, "客户联", 8, bold=True, align="right")


def _fields_100x180(canvas: Canvas, font: str, v: _Printed) -> None:
    p = _Page(canvas, 180, font)
    p.text(4, 9, v.carrier_name, 14, bold=True, max_width=60)
    p.text(50, 23, v.sort_code, 32, bold=True, align="center", max_width=92)
    p.code128(v.waybill_no, 50, 27.5, 94, 13.5)
    p.text(50, 44.7, v.waybill_no, 11, bold=True, align="center", char_space=1.5)
    p.text(17, 51.5, v.dest_depot, 12, bold=True, max_width=79)
    p.text(12, 59, f"{v.recipient_name}  {v.recipient_phone}", 13, bold=True, max_width=84)
    p.paragraph(12, 61, 84.5, 13.5, v.recipient_address, 11, 7)
    p.text(12, 79, f"{v.sender_name}  {v.sender_phone}", 9, max_width=84)
    p.paragraph(12, 80.5, 84.5, 8, v.sender_address, 8, 5.5)
    p.paragraph(12, 90.3, 61, 8.5, v.item, 8.5, 6)
    p.text(12, 102.5, v.weight, 8)
    p.text(12, 106, v.origin_depot, 8, max_width=61)
    p.text(12, 109.5, v.printed_at, 8)
    p.qr(v.qr_payload, 76, 89.5, 21)

    p.text(4, 131.5, v.carrier_name, 9, bold=True, max_width=40)
    p.text(_L_RIGHT - 2, 131.5, v.waybill_no, 9, bold=True, align="right")
    p.code128(v.waybill_no, 50, 132.5, 80, 8.5)
    p.text(50, 143.8, v.waybill_no, 8, align="center", char_space=1)
    p.text(12, 149.5, f"{v.recipient_name}  {v.recipient_phone}", 8.5, bold=True, max_width=84)
    p.text(12, 154, v.recipient_address, 7, max_width=84)
    p.text(12, 160, f"{v.sender_name}  {v.sender_phone}", 7.5, max_width=84)
    p.text(12, 164.2, v.sender_address, 6.5, max_width=84)
    p.text(12, 170.5, v.item, 7.5, max_width=84)
    p.text(12, 176, f"{v.weight}    {v.printed_at}", 7)


TEMPLATES: dict[str, LabelTemplate] = {
    "76x130": LabelTemplate("76x130", 76, 130, _frame_76x130, _fields_76x130),
    "100x180": LabelTemplate("100x180", 100, 180, _frame_100x180, _fields_100x180),
}


# --------------------------------------------------------------------------- entry point


def render_labels(
    labels: Iterable[LabelData],
    out: BinaryIO,
    *,
    template: str = "76x130",
    privacy: bool = False,
    font_path: str | None = None,
) -> int:
    """Write one PDF page per label to ``out``; returns the number of pages written.

    Raises ``ValueError`` for an unknown template or an empty ``labels``.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown label template {template!r}; choose one of {', '.join(TEMPLATES)}")
    layout = TEMPLATES[template]
    font_file = find_cjk_font(font_path)
    if font_file is None:
        warnings.warn(
            f"No CJK TrueType font found; labels use the non-embedded CID font {_CID_FALLBACK}, "
            "which some printers and viewers show as blank boxes. Install fonts-wqy-microhei.",
            RuntimeWarning,
            stacklevel=2,
        )
    font = _register_font(font_file)

    canvas = Canvas(out, pagesize=(layout.width_mm * mm, layout.height_mm * mm), pageCompression=1)
    canvas.setTitle(DOCUMENT_TITLE)
    canvas.setAuthor("")
    canvas.setSubject("")
    canvas.setCreator("")
    canvas.setKeywords("")
    # The rules and captions are the same on every label: draw them once as a form XObject.
    canvas.beginForm("frame")
    canvas.setStrokeColor(black)
    layout.draw_frame(canvas, font)
    canvas.endForm()

    pages = 0
    for label in labels:
        canvas.doForm("frame")
        canvas.setStrokeColor(black)
        layout.draw_fields(canvas, font, _printed(label, privacy))
        canvas.showPage()
        pages += 1
    if pages == 0:
        # A PDF without pages is not a valid document; nothing is written to ``out``.
        raise ValueError("no labels to render")
    canvas.save()
    return pages
