"""Line-based dumps are matched in place: the same results as reading every record, faster."""

import csv
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canary.sightings.finding import find_in_part, find_matches
from canary.sightings.readers import Limits, ReaderError, read_parts
from canary.sightings.readers.lines import LineDocument
from tests.sightings.test_matcher import NOISE, planted

SMALL_BLOCKS = Limits(line_block_bytes=96)  # many blocks even in a small document


def results(pairs):
    return sorted(
        (record.locate(m.line, m.start), m.decoy_id, tuple(sorted(m.kinds)), m.strength, m.excerpt)
        for record, m in pairs
    )


def in_place(matcher, data, name, limits=SMALL_BLOCKS):
    try:
        (document,) = read_parts(data, name, limits)
    except ReaderError as error:
        return str(error)  # both ways read nothing, with the same message
    assert isinstance(document, LineDocument)
    return results(matcher.match_lines(document))


def record_by_record(matcher, data, name, limits=SMALL_BLOCKS):
    try:
        (document,) = read_parts(data, name, limits)
    except ReaderError as error:
        return str(error)
    return results(matcher.match_chunks(document.chunks()))


# -- the same answer as reading every record ---------------------------------------------------------

cells = st.one_of(planted().map(lambda case: case[2]), st.text(alphabet=NOISE, max_size=20))
rows = st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=8)
encodings = st.sampled_from(["utf-8", "gb18030"])


def write_csv(table, delimiter, quoting):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\n")
    writer.writerow([f"列{index}" for index in range(4)])
    for row in table:
        writer.writerow([" ".join(cell.splitlines()) for cell in row])
    return buffer.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    table=rows,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    encoding=encodings,
)
def test_a_csv_dump_in_place_gives_what_reading_every_row_gives(matcher, table, delimiter, quoting, encoding):
    data = write_csv(table, delimiter, quoting).encode(encoding)
    assert in_place(matcher, data, "dump.csv") == record_by_record(matcher, data, "dump.csv")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=rows, ascii_only=st.booleans(), encoding=encodings)
def test_json_lines_in_place_give_what_reading_every_line_gives(matcher, table, ascii_only, encoding):
    text = "".join(
        json.dumps({f"k{index}": cell for index, cell in enumerate(row)}, ensure_ascii=ascii_only) + "\n"
        for row in table
    )
    data = text.encode(encoding)
    assert in_place(matcher, data, "x.jsonl") == record_by_record(matcher, data, "x.jsonl")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=rows, crlf=st.booleans(), encoding=encodings)
def test_plain_text_in_place_gives_what_reading_every_line_gives(matcher, table, crlf, encoding):
    text = "".join(" ".join(row) + ("\r\n" if crlf else "\n") for row in table)
    data = text.encode(encoding)
    assert in_place(matcher, data, "paste.txt") == record_by_record(matcher, data, "paste.txt")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=rows, encoding=encodings)
def test_a_chat_export_in_place_gives_what_reading_every_message_gives(matcher, messages, encoding):
    text = "".join(
        f"2024-05-01 10:{index % 60:02d}:00 卖家{index}\n" + "".join(f"{line}\n" for line in lines)
        for index, lines in enumerate(messages)
    )
    data = ("2024-05-01 09:00:00 群主\n开始\n" + text).encode(encoding)
    assert in_place(matcher, data, "qq.txt") == record_by_record(matcher, data, "qq.txt")


# -- what the first stage has to see through -----------------------------------------------------------


def test_a_phone_cut_over_three_quoted_cells_is_found_as_in_the_row(matcher):
    data = '"单号","区号","号码","尾号"\n"x","138 ","0013"," 8000"\n'.encode()
    found = in_place(matcher, data, "cut.csv")
    assert [(where, decoy) for where, decoy, *_ in found] == [
        ("cut.csv line 2 [区号]", 1),
        ("cut.csv line 2 [区号]", 2),
    ]


def test_json_lines_with_escaped_chinese_are_read(matcher):
    data = (json.dumps({"收件人": "张三丰", "电话": "138 0013 8000"}, ensure_ascii=True) + "\n").encode()
    assert b"\\u" in data
    assert [(where, decoy) for where, decoy, *_ in in_place(matcher, data, "x.jsonl")] == [
        ("x.jsonl line 1", 1)
    ]


def test_a_masked_name_and_phone_on_two_lines_of_one_message_make_a_weak_match(matcher):
    data = (
        "2024-05-01 10:20:30 老王\n收件人 王*\n\n电话 139****5678\n2024-05-01 10:21:00 小李\n没货\n".encode(
            "gbk"
        )
    )
    assert [
        (where, decoy, strength) for where, decoy, _, strength, _ in in_place(matcher, data, "qq.txt")
    ] == [("qq.txt line 1", 3, "weak")]


def test_a_chat_block_is_never_cut_inside_a_message(matcher):
    message = "2024-05-01 10:20:30 老王\n" + "闲聊\n" * 20 + "收件人 王*\n电话 139****5678\n"
    data = (message * 3).encode()
    (document,) = read_parts(data, "qq.txt", Limits(line_block_bytes=64))
    blocks = list(document.blocks())
    assert len(blocks) == 3
    assert all(block.data.startswith(b"2024-05-01") for block in blocks)
    assert [where for where, *_ in in_place(matcher, data, "qq.txt", Limits(line_block_bytes=64))] == [
        "qq.txt line 1",
        "qq.txt line 24",
        "qq.txt line 47",
    ]


def test_a_gbk_dump_is_read_without_transcoding(matcher):
    data = "序号|收件人|电话\n1|赵六|13700000000\n2|张三丰|１３８００１３８０００\n".encode("gbk")
    (document,) = read_parts(data, "orders.csv", SMALL_BLOCKS)
    assert {block.encoding for block in document.blocks()} == {"gb18030"}
    assert [(where, decoy) for where, decoy, *_ in in_place(matcher, data, "orders.csv")] == [
        ("orders.csv line 3 [收件人]", 1)
    ]


def test_utf16_text_is_transcoded_and_still_found(matcher):
    data = "第一行\n联系 13912345678\n".encode("utf-16")
    (document,) = read_parts(data, "paste.txt")
    assert {block.encoding for block in document.blocks()} == {"utf-8"}
    assert [(where, decoy) for where, decoy, *_ in in_place(matcher, data, "paste.txt")] == [
        ("paste.txt line 2", 3)
    ]


def test_a_part_of_a_big_csv_names_cells_and_lines_of_the_whole_file(matcher):
    header = "单号,收件人,电话\n".encode()
    part = "x,路人,13700000000\ny,王五,13912345678\n".encode()
    found = find_in_part(matcher, part, "big.csv", first_line=1001, header=header)
    assert [(where, m.decoy_id) for where, m in found] == [("big.csv line 1002 [收件人]", 3)]


def test_documents_of_every_kind_go_through_one_entry_point(matcher):
    data = "联系 13912345678\n".encode()
    assert [m.decoy_id for _, m in find_matches(matcher, data, "a.txt")] == [3]
