import io

import pytest
from django.core.management import CommandError, call_command

from canary.network.models import Node

HEADER = "code,name,kind,parent_code,province,city\n"
TREE = (
    HEADER
    + "HQ,总部,hq,,上海市,上海市\nH1,上海转运中心,hub,HQ,上海市,上海市\nD1,浦东网点,depot,H1,上海市,上海市\n"
)


def run_import(tmp_path, content: bytes):
    path = tmp_path / "network.csv"
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_network", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_gbk_network_csv_imports_with_chinese_names(tmp_path):
    out, _ = run_import(tmp_path, TREE.encode("gbk"))
    assert "gb18030" in out
    assert Node.objects.get(code="D1").name == "浦东网点"
    assert Node.objects.get(code="D1").parent.code == "H1"


@pytest.mark.django_db
def test_utf8_bom_file_from_excel_imports(tmp_path):
    run_import(tmp_path, TREE.encode("utf-8-sig"))
    assert Node.objects.filter(code="HQ", kind="hq").exists()


@pytest.mark.django_db
def test_reimport_updates_in_place_instead_of_duplicating(tmp_path):
    run_import(tmp_path, TREE.encode())
    out, _ = run_import(tmp_path, TREE.replace("浦东网点", "浦东新区网点").encode())
    assert Node.objects.count() == 3
    assert Node.objects.get(code="D1").name == "浦东新区网点"
    assert "1 updated" in out


@pytest.mark.django_db
def test_children_listed_before_their_parent_still_link(tmp_path):
    lines = TREE.splitlines()
    run_import(tmp_path, "\n".join([lines[0], *reversed(lines[1:])]).encode())
    assert Node.objects.get(code="H1").parent.code == "HQ"


@pytest.mark.django_db
def test_broken_csv_names_the_bad_lines_and_imports_nothing(tmp_path):
    broken = TREE + "D2,闵行网点,shop,H1,上海市,上海市\nD3,松江网点,depot,NOPE,上海市,上海市\n"
    path = tmp_path / "bad.csv"
    path.write_bytes(broken.encode("gbk"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_network", str(path), stderr=err)
    assert "line 5: D2: unknown kind 'shop'" in err.getvalue()
    assert "line 6: D3: parent 'NOPE'" in err.getvalue()
    assert Node.objects.count() == 0


@pytest.mark.django_db
def test_parent_loop_is_refused(tmp_path):
    looped = HEADER + "A,甲,hub,B,,\nB,乙,hub,A,,\n"
    path = tmp_path / "loop.csv"
    path.write_bytes(looped.encode())
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_network", str(path), stderr=err)
    assert "loops back" in err.getvalue()


@pytest.mark.django_db
def test_missing_column_is_refused_with_line_one(tmp_path):
    path = tmp_path / "nocol.csv"
    path.write_bytes("code,name\nA,甲\n".encode())
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_network", str(path), stderr=err)
    assert "line 1: header lacks column(s) kind" in err.getvalue()


@pytest.mark.django_db
def test_export_round_trips_through_import(tmp_path, network):
    out = tmp_path / "export.csv"
    call_command("export_network", "--out", str(out), stderr=io.StringIO())
    Node.objects.update(name="x")
    run_import(tmp_path, out.read_bytes())
    assert Node.objects.get(code="D-SH-PD").name == "上海浦东新区网点"
