import io

import pypdfium2
import pytest
import zxingcpp
from django.core.management import call_command

from canary.audit.models import AuditEvent
from canary.campaigns.masking import mask_name, mask_phone


def decode_first_page(path) -> set[str]:
    pdf = pypdfium2.PdfDocument(str(path))
    image = pdf[0].render(scale=300 / 72).to_pil()
    return {r.text for r in zxingcpp.read_barcodes(image)}


def page_text(path, index=0) -> str:
    pdf = pypdfium2.PdfDocument(str(path))
    return pdf[index].get_textpage().get_text_range()


@pytest.mark.parametrize("template", ["76x130", "100x180"])
def test_exported_label_barcode_decodes_back_to_the_waybill_number(campaign, tmp_path, template):
    out = tmp_path / "labels.pdf"
    call_command(
        "export_labels", campaign.slug, "--out", str(out), "--template", template, stdout=io.StringIO()
    )
    first = campaign.decoys.filter(is_control=False).order_by("id").first()
    assert first.waybill_no in decode_first_page(out)
    assert len(pypdfium2.PdfDocument(str(out))) == campaign.decoys.filter(is_control=False).count()


def test_privacy_labels_print_masked_name_and_phone_only(campaign, tmp_path):
    out = tmp_path / "privacy.pdf"
    call_command("export_labels", campaign.slug, "--out", str(out), "--privacy", stdout=io.StringIO())
    first = campaign.decoys.order_by("id").first()
    text = page_text(out)
    assert mask_name(first.recipient_name) in text
    assert mask_phone(first.recipient_phone) in text
    assert first.recipient_name not in text
    assert AuditEvent.objects.filter(action="labels.export", detail__privacy=True).exists()


def test_labels_for_one_node_only(campaign, tmp_path):
    out = tmp_path / "node.pdf"
    call_command("export_labels", campaign.slug, "--out", str(out), "--node", "D-SH-PD", stdout=io.StringIO())
    assert len(pypdfium2.PdfDocument(str(out))) == campaign.decoys_per_node


def printed(campaign) -> dict[str, int]:
    rows = campaign.decoys.values_list("label_printed", flat=True)
    return {value: list(rows).count(value) for value in set(rows)}


def test_the_decoys_remember_they_went_out_on_privacy_labels_until_a_full_label_is_printed(
    campaign, tmp_path
):
    out = tmp_path / "labels.pdf"
    decoys = campaign.decoys.filter(is_control=False).count()
    controls = campaign.decoys.filter(is_control=True).count()

    call_command("export_labels", campaign.slug, "--out", str(out), "--privacy", stdout=io.StringIO())
    assert printed(campaign) == ({"privacy": decoys, "": controls} if controls else {"privacy": decoys})

    call_command("export_labels", campaign.slug, "--out", str(out), "--node", "D-SH-PD", stdout=io.StringIO())
    call_command("export_labels", campaign.slug, "--out", str(out), "--privacy", stdout=io.StringIO())
    full = campaign.decoys.filter(label_printed="full")
    assert set(full.values_list("target__code", flat=True)) == {"D-SH-PD"}
    assert full.count() == campaign.decoys_per_node
