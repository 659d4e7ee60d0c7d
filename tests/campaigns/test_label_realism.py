"""Labels that pass as real: read back from the PDF's text as a buyer of leaked labels would."""

import dataclasses
import io
import re

import pypdf
import pytest

from canary.campaigns.exports import write_labels
from canary.campaigns.labels import TEMPLATES, render_labels
from canary.campaigns.models import Decoy
from canary.campaigns.planner import CampaignSpec, create_campaign

from .test_labels import LABEL


def pdf_text(pdf: bytes) -> list[str]:
    """Each page's text as pypdf extracts it, without the spaces its layout puts between runs."""
    return [re.sub(r"\s+", "", page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def rendered(privacy: bool, template: str, **changes) -> str:
    out = io.BytesIO()
    render_labels([dataclasses.replace(LABEL, **changes)], out, template=template, privacy=privacy)
    return pdf_text(out.getvalue())[0]


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_normal_label_prints_the_recipient_mobile_whole(template):
    text = rendered(False, template, recipient_phone="+8613800135678")
    assert "13800135678" in text and "138****5678" not in text and "+86" not in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_privacy_label_prints_the_recipient_mobile_as_3_and_4_digits(template):
    text = rendered(True, template, recipient_phone="+8613800135678")
    assert "138****5678" in text and "13800135678" not in text


@pytest.mark.parametrize("privacy", [False, True])
def test_the_sender_block_masks_the_phone_like_a_real_label(privacy):
    text = rendered(privacy, "76x130", sender_phone="155****9277")
    assert "155****9277" in text and "1559277" not in text


def test_destination_depot_is_the_depots_name_and_sort_code_not_a_couriers(network, numbers, campaign_spec):
    spec = {**campaign_spec, "slug": "couriers", "node_kinds": ["courier"], "decoys_per_node": 2}
    campaign = create_campaign(CampaignSpec.from_dict(spec)).campaign
    out = io.BytesIO()
    pages = write_labels(campaign, out, template="100x180")
    texts = pdf_text(out.getvalue())
    decoys = Decoy.objects.filter(campaign=campaign, is_control=False).select_related("target__parent")
    assert pages == len(texts) == decoys.count() > 0
    for decoy in decoys:
        [text] = [t for t in texts if decoy.waybill_no in t]
        depot = decoy.target.parent
        assert depot.kind == "depot"
        area = decoy.sort_code.split(" ")[0]
        assert "目的网点" in text and f"{depot.name}{area}" in text
        assert decoy.target.name not in text  # never the courier's own name
        assert decoy.recipient_phone.removeprefix("+86") in text
