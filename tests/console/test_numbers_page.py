"""The number pool page: counts by status, add numbers with Chinese errors, release free ones."""

from __future__ import annotations

import pytest
from django.urls import reverse

from canary.audit.models import AuditEvent
from canary.phones.models import CanaryNumber, NumberStatus
from canary.phones.pool import add_numbers
from tests.conftest import TEST_NUMBERS

pytestmark = pytest.mark.django_db


def test_the_pool_shows_assignments_and_why_a_printed_number_stays(analyst, campaign):
    page = analyst.get(reverse("console:numbers")).content.decode()
    printed = campaign.decoys.first().number

    assert printed.e164 in page and campaign.name in page
    assert "已分配" in page  # the status count is labelled in Chinese
    assert AuditEvent.objects.filter(action="numbers.view").exists()


def test_adding_numbers_accepts_full_width_and_refuses_nonsense_in_chinese(analyst):
    url = reverse("console:numbers")
    response = analyst.post(url, {"numbers": "１３８００１３８０００\nabc", "provider": "manual"})

    assert "无效的电话号码" in response.content.decode() and not CanaryNumber.objects.exists()
    analyst.post(url, {"numbers": "１３８００１３８０００", "provider": "manual"})
    assert CanaryNumber.objects.get().e164 == "+8613800138000"
    assert AuditEvent.objects.filter(action="numbers.add").exists()


def test_a_free_number_is_released_and_a_printed_one_is_refused(analyst, campaign):
    (free,), _ = add_numbers([TEST_NUMBERS[40]])
    printed = campaign.decoys.first().number
    assert free.status == NumberStatus.AVAILABLE

    analyst.post(reverse("console:number-release", args=[free.pk]))
    refused = analyst.post(reverse("console:number-release", args=[printed.pk]), follow=True)

    assert CanaryNumber.objects.get(pk=free.pk).status == NumberStatus.RETIRED
    assert CanaryNumber.objects.get(pk=printed.pk).status == NumberStatus.ASSIGNED
    assert "不能释放" in refused.content.decode()
    assert AuditEvent.objects.filter(action="number.release", object_id=str(free.pk)).exists()
