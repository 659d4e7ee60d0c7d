"""``manage.py scan``: files in, documents, sightings and signals stored, JSON out."""

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from canary.attribution.models import Signal
from canary.campaigns.models import Decoy
from canary.sightings.models import Document, DocumentStatus, Sighting, Source, SourceKind

pytestmark = pytest.mark.django_db


def scan(*args) -> dict:
    out = io.StringIO()
    call_command("scan", *map(str, args), "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def decoys(campaign):
    return list(Decoy.objects.filter(campaign=campaign).order_by("id"))


def orders_csv(rows: list[tuple[str, str, str]]) -> bytes:
    lines = ["运单号,收件人,电话"] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("gbk")


def test_a_csv_naming_a_decoys_waybill_shows_it_in_the_json(tmp_path, decoys):
    decoy = decoys[4]
    path = tmp_path / "orders.csv"
    path.write_bytes(orders_csv([("SF0000000000001", "赵六", "13700000000"), (decoy.waybill_no, "", "")]))

    result = scan(path)

    assert [document["status"] for document in result["documents"]] == ["done"]
    assert result["sightings"] == [
        {
            "waybill_no": decoy.waybill_no,
            "matched": ["waybill"],
            "strength": "strong",
            "document": str(path),
            "document_id": result["documents"][0]["id"],
            "location": "orders.csv line 3 [运单号]",
            "excerpt": decoy.waybill_no,
            "candidates": 1,
        }
    ]


def test_a_zip_inside_a_zip_is_scanned_and_every_kind_of_token_is_reported(tmp_path, decoys):
    decoy = decoys[7]
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("dump.txt", f"收件人 {decoy.recipient_name} 电话 {decoy.recipient_phone}\n")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("inner.zip", inner.getvalue())
    path = tmp_path / "bought.zip"
    path.write_bytes(outer.getvalue())

    result = scan(path)

    found = [row for row in result["sightings"] if row["waybill_no"] == decoy.waybill_no]
    assert len(found) == 1
    assert found[0]["strength"] == "strong"
    assert {"name", "phone"} <= set(found[0]["matched"])
    assert found[0]["location"] == "bought.zip!inner.zip!dump.txt line 1"


def test_a_repeat_scan_of_the_same_file_stores_nothing_twice(tmp_path, decoys):
    path = tmp_path / "orders.csv"
    path.write_bytes(orders_csv([(decoys[0].waybill_no, "", ""), (decoys[1].waybill_no, "", "")]))

    first = scan(path)
    second = scan(path)

    assert first["sightings"] == second["sightings"]
    assert Document.objects.count() == 1
    assert Sighting.objects.count() == 2
    assert Signal.objects.count() == 2
    assert set(Signal.objects.values_list("occurrences", flat=True)) == {1}


def test_a_bad_file_fails_with_its_error_and_the_next_file_is_still_scanned(tmp_path, decoys):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    good = tmp_path / "orders.csv"
    good.write_bytes(orders_csv([(decoys[2].waybill_no, "", "")]))

    result = scan(bad, good)

    broken, scanned = result["documents"]
    assert broken["status"] == "failed" and "ZIP" in broken["error"]
    assert scanned["status"] == "done"
    assert [row["waybill_no"] for row in result["sightings"]] == [decoys[2].waybill_no]
    assert Document.objects.get(name="broken.zip").status == DocumentStatus.FAILED


def test_an_archive_past_the_safety_limits_fails_with_a_clear_error(tmp_path, decoys):
    data = f"{decoys[0].waybill_no}\n".encode()
    for level in range(6):  # nested deeper than any honest dump: the shape of a recursive bomb
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"level{level}.zip" if level else "a.txt", data)
        data = buffer.getvalue()
    path = tmp_path / "bomb.zip"
    path.write_bytes(data)

    result = scan(path)

    assert result["documents"][0]["status"] == "failed"
    assert "nested deeper" in result["documents"][0]["error"]
    assert result["sightings"] == []


def test_the_analysts_seen_at_becomes_the_signals_first_seen(tmp_path, decoys):
    path = tmp_path / "orders.csv"
    path.write_bytes(orders_csv([(decoys[3].waybill_no, "", "")]))

    scan(path, "--seen-at", "2026-11-20T08:00:00")

    signal = Signal.objects.get(decoys=decoys[3])
    assert signal.first_seen_at.isoformat() == "2026-11-20T00:00:00+00:00"
    assert signal.kind == "dump" and signal.is_strong
    assert signal.origin == f"sightings.document:{Document.objects.get().pk}"


def test_files_from_a_named_source_give_online_signals(tmp_path, decoys):
    Source.objects.create(name="论坛", kind=SourceKind.HTTP_PAGE, url="https://example.com/")
    path = tmp_path / "post.txt"
    path.write_text(f"出售快递单号 {decoys[5].waybill_no}\n", encoding="utf-8")

    scan(path, "--source", "论坛")

    assert Signal.objects.get(decoys=decoys[5]).kind == "online"
    assert Document.objects.get().source.name == "论坛"


def test_a_canary_phone_shared_by_several_decoys_gives_one_signal_over_all_of_them(tmp_path, decoys):
    phone = decoys[0].recipient_phone
    sharing = {decoy for decoy in decoys if decoy.recipient_phone == phone}
    assert len(sharing) > 1
    path = tmp_path / "chat.txt"
    path.write_text(f"有人收吗 联系 {phone}\n", encoding="utf-8")

    result = scan(path)

    assert {row["waybill_no"] for row in result["sightings"]} == {decoy.waybill_no for decoy in sharing}
    assert {row["candidates"] for row in result["sightings"]} == {len(sharing)}
    signal = Signal.objects.get()
    assert set(signal.decoys.all()) == sharing


def test_a_canary_phone_shared_by_several_decoys_is_stored_once_per_line(tmp_path, decoys):
    phone = decoys[0].recipient_phone
    sharing = sorted(decoy.pk for decoy in decoys if decoy.recipient_phone == phone)
    path = tmp_path / "chat.txt"
    path.write_text(f"有人收吗 {phone}\n今天还有 {phone}\n", encoding="utf-8")

    scan(path)

    stored = Sighting.objects.order_by("location")
    assert [(s.location, s.decoy_id, s.candidates, s.candidate_count) for s in stored] == [
        ("chat.txt line 1", None, sharing, len(sharing)),
        ("chat.txt line 2", None, sharing, len(sharing)),
    ]
    assert Signal.objects.count() == 1  # the same evidence twice widens one signal


def test_the_text_output_shows_a_shared_phone_once_per_line_with_its_decoy_count(tmp_path, decoys):
    phone = decoys[0].recipient_phone
    sharing = sum(decoy.recipient_phone == phone for decoy in decoys)
    path = tmp_path / "chat.txt"
    path.write_text(f"{decoys[3].waybill_no}\n有人收吗 {phone}\n", encoding="utf-8")
    out = io.StringIO()

    call_command("scan", str(path), stdout=out)

    assert out.getvalue().splitlines() == [
        f"{path}: done, 2 sightings",
        f"  {decoys[3].waybill_no} strong [waybill] chat.txt line 1",
        f"  {sharing} decoys of {decoys[0].campaign.slug} strong [phone] chat.txt line 2",
    ]


def test_an_unknown_source_is_refused(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("x")
    with pytest.raises(CommandError, match="no source"):
        call_command("scan", str(path), "--source", "nope")


def test_a_folder_is_scanned_file_by_file_leaving_hidden_files_out(tmp_path, decoys):
    (tmp_path / "photos" / "day2").mkdir(parents=True)
    (tmp_path / "photos" / "a.csv").write_bytes(orders_csv([(decoys[1].waybill_no, "", "")]))
    (tmp_path / "photos" / "day2" / "b.txt").write_text(f"单号 {decoys[2].waybill_no}", encoding="utf-8")
    (tmp_path / "photos" / ".b.txt.swp").write_text(decoys[3].waybill_no, encoding="utf-8")

    result = scan(tmp_path / "photos")

    assert [document["name"] for document in result["documents"]] == ["a.csv", "b.txt"]
    assert [s["waybill_no"] for s in result["sightings"]] == [decoys[1].waybill_no, decoys[2].waybill_no]


def test_a_missing_path_is_refused_before_anything_is_stored(tmp_path, decoys):
    (tmp_path / "a.csv").write_bytes(orders_csv([(decoys[1].waybill_no, "", "")]))

    with pytest.raises(CommandError, match=r"no such file or folder: .*nothere"):
        scan(tmp_path / "a.csv", tmp_path / "nothere")
    assert not Document.objects.exists()


def test_a_full_phone_of_a_decoy_printed_on_privacy_labels_hints_at_a_system_leak(tmp_path, decoys):
    from canary.campaigns.masking import mask_name, mask_phone

    system, label = decoys[5], decoys[6]
    Decoy.objects.filter(pk__in=[system.pk, label.pk]).update(label_printed="privacy")
    path = tmp_path / "orders.csv"
    path.write_bytes(
        orders_csv(
            [
                (system.waybill_no, system.recipient_name, system.recipient_phone.removeprefix("+86")),
                (label.waybill_no, mask_name(label.recipient_name), mask_phone(label.recipient_phone)),
            ]
        )
    )

    scan(path)

    hints = dict(Signal.objects.values_list("decoys", "full_phone_of_privacy_label"))
    assert hints == {system.pk: True, label.pk: False}


def test_a_file_over_the_size_cap_is_refused_with_the_setting_named_and_nothing_stored(tmp_path, settings):
    settings.SIGHTINGS_MAX_DOCUMENT_BYTES = 1024
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    small.write_text("王五,13912345678\n")
    with big.open("wb") as file:
        file.truncate(2 << 30)  # a sparse 2 GB file: nothing is read to refuse it
    with pytest.raises(CommandError, match=r"SIGHTINGS_MAX_DOCUMENT_BYTES.*big\.csv \(2,147,483,648 bytes\)"):
        call_command("scan", str(small), str(big))
    assert not Document.objects.exists()
