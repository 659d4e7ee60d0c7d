"""API downloads of a campaign: order files stream, labels come from a file, both audited."""

from __future__ import annotations

import csv
import io

from django.http import FileResponse, StreamingHttpResponse

from canary.audit.models import AuditEvent
from canary.campaigns import exports


def test_order_csv_streams_the_whole_file_and_is_audited_with_its_rows(api, campaign):
    response = api("analyst").get(f"/api/v1/campaigns/{campaign.slug}/orders/")
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=exports.ORDER_FIELDS)
    writer.writeheader()
    writer.writerows(list(exports.order_rows(campaign)))
    assert b"".join(response.streaming_content) == out.getvalue().encode("utf-8")
    assert response["Content-Disposition"] == f'attachment; filename="{campaign.slug}-orders.csv"'
    event = AuditEvent.objects.get(action="orders.export")
    assert event.detail["rows"] == exports.count_orders(campaign)


def test_label_pdf_is_sent_from_a_file_and_audited(api, campaign):
    response = api("analyst").get(f"/api/v1/campaigns/{campaign.slug}/labels/")
    assert response.status_code == 200 and isinstance(response, FileResponse)
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.get(action="labels.export").detail["pages"] > 0
