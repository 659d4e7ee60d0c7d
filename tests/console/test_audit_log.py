"""The audit log page: security admins read, filter and export it; the look itself is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from canary.audit.models import AuditEvent
from canary.audit.roles import SECURITY_ADMIN
from canary.audit.services import record
from tests.conftest import security_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(security_user("chief", SECURITY_ADMIN))
    record("decoys.view", actor="analyst-wang", page=1)
    record("labels.export", actor="analyst-li", privacy=True)
    return client


def test_filters_narrow_the_log_by_actor_and_action_prefix(admin_client):
    page = admin_client.get(reverse("console:audit"), {"actor": "wang", "action": "decoys."}).content.decode()

    assert "analyst-wang" in page and "analyst-li" not in page
    assert AuditEvent.objects.filter(action="audit.view", actor="chief").exists()


def test_an_inverted_date_range_is_explained_in_chinese(admin_client):
    page = admin_client.get(reverse("console:audit"), {"since": "2026-12-02", "until": "2026-12-01"})

    assert "开始日期晚于结束日期" in page.content.decode()


def test_csv_export_has_the_filtered_rows_in_shanghai_time_and_is_audited(admin_client):
    response = admin_client.get(reverse("console:audit-export"), {"actor": "li"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    lines = body.strip().splitlines()
    assert lines[0].startswith("at,actor,action") and len(lines) == 2
    assert "analyst-li" in lines[1] and "+08:00" in lines[1]
    assert AuditEvent.objects.filter(action="audit.export", actor="chief").exists()
