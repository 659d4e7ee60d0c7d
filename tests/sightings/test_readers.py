"""Every reader turns its format into located text records; bad input fails clearly."""

import io
import json
import random
import zipfile

import pytest
from openpyxl import Workbook
from reportlab.pdfgen.canvas import Canvas

from canary.sightings.finding import find_matches
from canary.sightings.readers import LimitExceeded, Limits, ReaderError, TextChunk, detect_format, read_any


def located(matcher, data, name, **kwargs):
    """(location, decoy, kinds) for every match, the way the pipeline stores sightings; reading
    every record first (``read_any``) gives the same."""
    found = [
        (record.locate(m.line, m.start), m.decoy_id, tuple(sorted(m.kinds)))
        for record, m in find_matches(matcher, data, name, **kwargs)
    ]
    again = {**kwargs, "errors": []} if "errors" in kwargs else kwargs
    whole = [
        (chunk.locate(m.line, m.start), m.decoy_id, tuple(sorted(m.kinds)))
        for chunk, m in matcher.match_chunks(read_any(data, name, **again))
    ]
    assert sorted(found) == sorted(whole)
    return found


class GbkNamedInfo(zipfile.ZipInfo):
    """A member named the way Chinese Windows archivers do: GBK bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def make_zip(members: dict[str, bytes], utf8_names: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name) if utf8_names else GbkNamedInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


GBK_CSV = "序号,收件人,电话,地址\n1,赵六,13700000000,北京\n2,张三丰,13800138000,翠竹苑7栋1203\n".encode("gbk")


def test_a_gbk_csv_with_chinese_headers_is_read_with_named_cells(matcher):
    assert located(matcher, GBK_CSV, "orders.csv") == [
        ("orders.csv line 3 [收件人]", 1, ("address", "name", "phone"))
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_in_every_common_chinese_encoding_is_read(matcher, encoding):
    data = "收件人\t电话\n李四光\t13800138000\n".encode(encoding)
    assert [(m[1], m[2]) for m in located(matcher, data, "orders.tsv")] == [(2, ("name", "phone"))]


def test_plain_text_locates_matches_by_line(matcher):
    data = "第一行\n第二行\n联系 13912345678\n".encode("gbk")
    assert located(matcher, data, "paste.txt") == [("paste.txt line 3", 3, ("phone",))]


def test_plain_text_is_streamed_in_line_aligned_blocks():
    data = ("".join(f"第{i}行 文本\n" for i in range(5000))).encode()
    chunks = list(read_any(data, "big.txt", limits=Limits(line_block_bytes=4096)))
    assert len(chunks) > 5
    assert all(not chunk.text.startswith("\n") and not chunk.text.endswith("\n") for chunk in chunks)
    assert chunks[1].first_line == chunks[0].text.count("\n") + 2
    assert "".join(chunk.text + "\n" for chunk in chunks) == data.decode()


def test_an_xlsx_row_is_one_record_located_by_cell(matcher):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    sheet.append(["姓名", "手机", "备注"])
    sheet.append(["王五", 13912345678, "单号 773123456789012"])  # a phone stored as a number
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert located(matcher, buffer.getvalue(), "dump.xlsx") == [
        ("dump.xlsx!客户!A2", 3, ("name", "phone", "waybill"))
    ]


def test_a_zip_inside_a_zip_is_read_with_the_member_path(matcher):
    inner = make_zip({"orders.csv": GBK_CSV})
    outer = make_zip({"2024/inner.zip": inner, "readme.txt": "无关".encode()})
    assert located(matcher, outer, "dump.zip") == [
        ("dump.zip!2024/inner.zip!orders.csv line 3 [收件人]", 1, ("address", "name", "phone"))
    ]


def test_gbk_member_names_in_a_zip_are_decoded():
    data = make_zip({"客户资料.txt": "张三丰".encode()}, utf8_names=False)
    assert [chunk.location for chunk in read_any(data, "a.zip")] == ["a.zip!客户资料.txt"]


def test_a_zip_bomb_is_refused_with_a_clear_error():
    bomb = make_zip({"zeros.txt": b"0" * (8 << 20)})
    assert len(bomb) < 100_000
    with pytest.raises(LimitExceeded, match=r"bomb\.zip.*limit"):
        list(read_any(bomb, "bomb.zip", limits=Limits(max_expanded_bytes=1 << 20)))


def test_a_zip_with_too_many_members_is_refused():
    data = make_zip({f"{i}.txt": b"x" for i in range(20)})
    with pytest.raises(LimitExceeded, match="members"):
        list(read_any(data, "many.zip", limits=Limits(max_members=10)))


def test_archives_nested_too_deep_are_refused():
    data = b"hello"
    for level in range(5):
        data = make_zip({f"level{level}.zip" if level else "a.txt": data})
    with pytest.raises(LimitExceeded, match="nested"):
        list(read_any(data, "deep.zip", limits=Limits(max_depth=2)))


def test_an_unreadable_member_is_recorded_and_the_rest_still_read(matcher):
    data = make_zip({"broken.pdf": b"%PDF-1.4 garbage", "ok.txt": "王五 13912345678".encode()})
    errors: list[ReaderError] = []
    assert [m[1] for m in located(matcher, data, "mixed.zip", errors=errors)] == [3]
    assert len(errors) == 1 and "broken.pdf" in str(errors[0])


def test_undecodable_bytes_raise_a_reader_error():
    noise = random.Random(4).randbytes(4096)
    with pytest.raises(ReaderError, match="not text"):
        list(read_any(noise, "mystery.bin"))


def test_a_telegram_desktop_export_yields_one_record_per_message(matcher):
    export = {
        "name": "快递资源群",
        "type": "private_supergroup",
        "id": 42,
        "messages": [
            {"id": 1, "type": "service", "action": "join_group_by_link"},
            {
                "id": 7,
                "type": "message",
                "from": "卖家",
                "text": ["出新鲜单 张三丰 ", {"type": "phone", "text": "138 0013 8000"}, "\n翠竹苑7栋1203"],
            },
        ],
    }
    data = json.dumps(export, ensure_ascii=False).encode()
    assert located(matcher, data, "result.json") == [
        ("result.json chat 快递资源群 message 7", 1, ("address", "name", "phone"))
    ]


def test_a_qq_text_export_joins_each_messages_lines_into_one_record(matcher):
    export = (
        "消息记录（此消息记录为文本格式，不支持重新导入）\n"
        "================================================================\n"
        "消息对象:资源群\n"
        "================================================================\n\n"
        "2024-05-01 10:20:30 老王(123456)\n收件人 王*\n电话 139****5678\n\n"
        "2024-05-01 10:21:00 小李(654321)\n今天没货\n"
    ).encode("gbk")
    assert located(matcher, export, "qq.txt") == [("qq.txt line 6", 3, ("masked_name", "masked_phone"))]


def test_generic_json_and_json_lines_become_key_value_records(matcher):
    document = {
        "data": [{"name": "李四光", "mobile": "13800138000"}, {"name": "路人", "mobile": "13700000000"}]
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    assert located(matcher, data, "api.json") == [("api.json $.data[0]", 2, ("name", "phone"))]
    lines = b'{"a": 1}\n{"waybill": "sf1234567890123"}\nnot json 13912345678\n'
    assert [(where, decoy) for where, decoy, _ in located(matcher, lines, "x.jsonl")] == [
        ("x.jsonl line 2", 1),
        ("x.jsonl line 3", 3),
    ]


def test_html_yields_visible_text_only(matcher):
    page = (
        '<html><head><meta charset="gbk"><title>王五</title><script>var p="13912345678"</script></head>'
        "<body><p>求购 面单</p><div>联系人：王五<br>SF1234567890123</div></body></html>"
    ).encode("gbk")
    assert [(decoy, kinds) for _, decoy, kinds in located(matcher, page, "forum.html")] == [
        (3, ("name",)),
        (1, ("waybill",)),
    ]


def test_pdf_text_is_read_page_by_page(matcher):
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "page one")
    canvas.showPage()
    canvas.drawString(72, 720, "Tracking SF1234567890123")
    canvas.drawString(72, 700, "Tel +86 139 1234 5678")
    canvas.showPage()
    canvas.save()
    found = located(matcher, buffer.getvalue(), "report.pdf")
    assert found == [
        ("report.pdf page 2 line 1", 1, ("waybill",)),
        ("report.pdf page 2 line 2", 3, ("phone",)),
    ]


def test_a_corrupt_pdf_raises_a_reader_error():
    with pytest.raises(ReaderError, match="PDF"):
        list(read_any(b"%PDF-1.7\n" + b"\x00" * 100, "bad.pdf"))


@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (b"PK\x03\x04", "x.zip", "zip"),
        (b"%PDF-1.4", "x.bin", "pdf"),
        (b"\x89PNG\r\n\x1a\n", "x", "image"),
        (b"\xff\xd8\xff\xe0", "photo", "image"),
        (b'  {"a": 1}', "noext", "json"),
        (b"<!DOCTYPE html><html>", "page", "html"),
        (b"a,b", "x.csv", "csv"),
        (b"a\tb", "x.tsv", "tsv"),
        (b"hello", "x.log", "text"),
    ],
)
def test_the_reader_is_picked_by_magic_bytes_then_name(head, name, kind):
    assert detect_format(head, name) == kind


def test_text_chunks_locate_cells_by_offset():
    chunk = TextChunk("a\tbb\tccc", "t.csv line 2", cells=((0, " [甲]"), (2, " [乙]"), (5, " [丙]")))
    assert [chunk.locate(0, offset) for offset in (0, 3, 6)] == [
        "t.csv line 2 [甲]",
        "t.csv line 2 [乙]",
        "t.csv line 2 [丙]",
    ]
