import pytest
from django.utils import translation

from canary.network.models import Node
from canary.network.preview import digest_of, preview_network_bytes
from canary.network.services import import_network_bytes

HEADER = "code,name,kind,parent_code,province,city\n"
TREE = (
    HEADER
    + "HQ,总部,hq,,上海市,上海市\nH1,上海转运中心,hub,HQ,上海市,上海市\nD1,浦东网点,depot,H1,上海市,上海市\n"
)

pytestmark = pytest.mark.django_db


def test_preview_of_a_new_tree_counts_every_node_as_new_and_writes_nothing():
    preview = preview_network_bytes(TREE.encode("gbk"))
    assert preview.ok and preview.encoding == "gb18030"
    assert preview.new == ["HQ", "H1", "D1"] and preview.changed == [] and preview.unchanged == 0
    assert not Node.objects.exists()


def test_preview_shows_what_changes_on_reimport():
    import_network_bytes(TREE.encode())
    edited = TREE.replace("浦东网点", "浦东新区网点") + "D2,闵行网点,depot,H1,上海市,上海市\n"
    preview = preview_network_bytes(edited.encode())
    assert preview.new == ["D2"]
    assert [(c.code, c.line, c.changes) for c in preview.changed] == [
        ("D1", 4, {"name": ("浦东网点", "浦东新区网点")})
    ]
    assert preview.unchanged == 2
    assert preview.digest == digest_of(edited.encode())


def test_moving_a_node_to_another_parent_is_a_change():
    import_network_bytes((TREE + "H2,杭州转运中心,hub,HQ,浙江省,杭州市\n").encode())
    preview = preview_network_bytes(
        (TREE.replace("depot,H1", "depot,H2") + "H2,杭州转运中心,hub,HQ,浙江省,杭州市\n").encode()
    )
    assert [(c.code, c.changes) for c in preview.changed] == [("D1", {"parent_code": ("H1", "H2")})]


def test_row_errors_carry_their_line_numbers():
    bad = TREE + "D2,,depot,H9,上海市,上海市\nD3,某网点,shop,H1,,\n"
    with translation.override("en"):
        preview = preview_network_bytes(bad.encode())
    assert not preview.ok and preview.new == []
    assert preview.errors[:2] == [
        "line 5: D2: name is empty",
        "line 5: D2: parent 'H9' is neither in the file nor stored",
    ]
    assert preview.errors[2].startswith("line 6: D3: unknown kind 'shop'")


def test_row_errors_are_in_the_console_language():
    preview = preview_network_bytes((TREE + "D2,,depot,H1,上海市,上海市\n").encode())
    assert preview.errors == ["第 5 行：D2：名称为空"]


def test_a_file_without_the_required_header_is_one_error():
    with translation.override("en"):
        preview = preview_network_bytes("名称,类型\n总部,hq\n".encode())
    assert preview.errors == [
        "line 1: header lacks column(s) code, name, kind; expected code,name,kind,parent_code,province,city"
    ]
