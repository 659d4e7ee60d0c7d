"""Contacts, sightings and documents pages: safe players, highlighted excerpts, filters,
original files, and the rows htmx polls while a dump is scanned."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from canary.audit.models import AuditEvent
from canary.phones.models import Contact
from canary.sightings.models import Document

pytestmark = pytest.mark.django_db


def call(sid: str, recording_url: str) -> Contact:
    return Contact.objects.create(
        kind="call",
        provider="twilio",
        provider_sid=sid,
        from_number="+8613900000000",
        received_at=timezone.now(),
        recording_url=recording_url,
        transcript="你好，我想问一下快递",
    )


def test_a_recording_plays_only_from_an_http_url(analyst):
    call("CA1", "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1")
    call("CA2", "javascript:alert(1)")

    page = analyst.get(reverse("contacts:contacts")).content.decode()

    assert page.count("<audio") == 1 and "javascript:" not in page
    assert "你好，我想问一下快递" in page and "转写" in page


@pytest.fixture
def scanned(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_sighting_excerpt_marks_the_decoy_and_links_the_original(analyst, campaign, scanned):
    decoy = campaign.decoys.order_by("id").first()
    body = f"出售 单号{decoy.waybill_no} 收件人{decoy.recipient_name}".encode()
    with scanned():
        analyst.post(reverse("sightings:upload"), {"file": SimpleUploadedFile("dump.txt", body)})

    page = analyst.get(reverse("sightings:sightings")).content.decode()

    assert f"<mark>{decoy.waybill_no}</mark>" in page and f"<mark>{decoy.recipient_name}</mark>" in page
    assert "运单号" in page  # the match kind in words, not a code
    document = Document.objects.get()
    assert reverse("sightings:document-download", args=[document.pk]) in page
    assert (
        decoy.waybill_no
        not in analyst.get(
            reverse("sightings:sightings"), {"strength": "nonsense", "kind": "masked_name"}
        ).content.decode()
    )


def test_the_original_document_downloads_byte_for_byte_and_is_audited(
    analyst, django_capture_on_commit_callbacks
):
    body = "单号,电话\n".encode("gbk")
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post(reverse("sightings:upload"), {"file": SimpleUploadedFile("买来的.csv", body)})
    document = Document.objects.get()

    response = analyst.get(reverse("sightings:document-download", args=[document.pk]))

    assert b"".join(response.streaming_content) == body
    assert hashlib.sha256(body).hexdigest() == document.sha256
    assert AuditEvent.objects.filter(
        action="sightings.document.download", detail__sha256=document.sha256
    ).exists()


def test_an_htmx_upload_is_sent_on_to_the_documents(analyst):
    response = analyst.post(
        reverse("sightings:upload"), {"file": SimpleUploadedFile("a.txt", b"hello")}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200 and response["HX-Redirect"] == reverse("sightings:documents")


def test_rows_are_polled_while_a_document_waits_and_not_after(analyst):
    analyst.post(reverse("sightings:upload"), {"file": SimpleUploadedFile("a.txt", b"hello")})
    document = Document.objects.get()

    waiting = analyst.get(reverse("sightings:documents")).content.decode()
    assert 'hx-trigger="every 2s"' in waiting
    rows = analyst.get(reverse("sightings:documents"), {"rows": "1"}).content.decode()
    assert rows.lstrip().startswith("<tbody") and "<html" not in rows

    Document.objects.filter(pk=document.pk).update(status="done")
    assert 'hx-trigger="every 2s"' not in analyst.get(reverse("sightings:documents")).content.decode()
