"""Console downloads of a campaign: streamed, and byte for byte the files they were before."""

from __future__ import annotations

import csv
import io
import json

from django.http import FileResponse, StreamingHttpResponse

from canary.audit.models import AuditEvent
from canary.campaigns import exports


def test_order_csv_download_streams_the_whole_file_with_a_bom_and_is_audited(campaign, analyst):
    response = analyst.get(f"/campaigns/{campaign.slug}/orders.csv")
    assert isinstance(response, StreamingHttpResponse)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=exports.ORDER_FIELDS)
    writer.writeheader()
    writer.writerows(list(exports.order_rows(campaign)))
    assert b"".join(response.streaming_content) == ("\ufeff" + out.getvalue()).encode("utf-8")
    event = AuditEvent.objects.get(action="orders.export")
    assert event.detail["count"] == exports.count_orders(campaign)


def test_order_json_download_streams_the_whole_file(campaign, analyst):
    response = analyst.get(f"/campaigns/{campaign.slug}/orders.json")
    assert isinstance(response, StreamingHttpResponse)
    whole = json.dumps(list(exports.order_rows(campaign)), ensure_ascii=False, indent=1)
    assert b"".join(response.streaming_content) == whole.encode("utf-8")


def test_label_download_is_sent_from_a_file(campaign, analyst):
    response = analyst.get(f"/campaigns/{campaign.slug}/labels.pdf")
    assert isinstance(response, FileResponse)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF") and int(response["Content-Length"]) == len(body)
