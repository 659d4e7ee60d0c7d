"""Exports stream: the registry and order files come in pieces as the decoys are read, and the
pieces add up to exactly the file the exports wrote whole before."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command

from canary.campaigns import exports
from canary.campaigns.planner import CampaignSpec, create_campaign, store_campaign


@pytest.fixture
def big_campaign(network, numbers, campaign_spec):
    """More orders than one piece holds, so pieces have seams."""
    spec = {**campaign_spec, "slug": "big", "node_kinds": ["depot", "courier"], "decoys_per_node": 60}
    campaign = create_campaign(CampaignSpec.from_dict(spec), actor="test").campaign
    assert exports.count_orders(campaign) > 2 * exports.ROWS_PER_PIECE
    return campaign


def whole_csv(campaign) -> str:
    """The order CSV as it was written before streaming: one DictWriter over every row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=exports.ORDER_FIELDS)
    writer.writeheader()
    writer.writerows(list(exports.order_rows(campaign)))
    return out.getvalue()


def whole_json(campaign) -> str:
    return json.dumps(list(exports.order_rows(campaign)), ensure_ascii=False, indent=1)


class RecordingOutput(io.StringIO):
    """Counts the writes it receives: a streamed export writes many times."""

    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_order_csv_in_pieces_is_the_whole_file_dictwriter_wrote(big_campaign):
    pieces = list(exports.order_text(big_campaign, "csv"))
    assert len(pieces) > 2
    assert "".join(pieces) == whole_csv(big_campaign)


def test_order_json_in_pieces_is_the_whole_file_json_dump_wrote(big_campaign):
    pieces = list(exports.order_text(big_campaign, "json"))
    assert len(pieces) > 2
    assert "".join(pieces) == whole_json(big_campaign)


def test_order_json_of_a_campaign_without_orders_is_an_empty_list(db, campaign_spec):
    empty = store_campaign(CampaignSpec.from_dict(campaign_spec))
    assert "".join(exports.order_text(empty, "json")) == whole_json(empty) == "[]"


def test_an_unknown_order_format_is_refused_before_anything_is_read(campaign):
    with pytest.raises(ValueError, match="csv or json"):
        exports.order_text(campaign, "xlsx")


def test_export_decoys_writes_the_registry_piece_by_piece(big_campaign):
    out = RecordingOutput()
    call_command("export_decoys", big_campaign.slug, stdout=out, stderr=io.StringIO())
    lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in exports.registry_rows(big_campaign)]
    assert out.getvalue() == "".join(lines)
    assert out.writes >= len(lines) // exports.ROWS_PER_PIECE > 1


def test_export_orders_to_stdout_writes_piece_by_piece(big_campaign):
    out = RecordingOutput()
    call_command("export_orders", big_campaign.slug, stdout=out, stderr=io.StringIO())
    assert out.getvalue() == whole_csv(big_campaign)
    assert out.writes > 2
