import io

from django.core.management import call_command

from canary.campaigns.models import Decoy
from canary.phones.pool import add_numbers
from canary.sightings.matching import STRONG, match_text
from tests.conftest import TEST_NUMBERS


def test_sms_naming_a_waybill_pins_that_decoy(campaign):
    decoy = Decoy.objects.filter(campaign=campaign).order_by("id")[4]
    found = match_text(f"您好，您的快递{decoy.waybill_no}丢失了，我们双倍赔偿，请加微信")
    assert [m.decoy_id for m in found] == [decoy.id]
    assert found[0].strength == STRONG and "waybill" in found[0].kinds


def test_text_naming_no_decoy_matches_nothing(campaign):
    assert match_text("今天天气不错，快递到了吗？SF1234567890123") == []


def test_new_decoys_are_watched_without_a_restart(campaign, network, spec_file):
    match_text("warm the cache")
    add_numbers(TEST_NUMBERS[30:40])
    call_command(
        "create_campaign", "--spec", str(spec_file(slug="later", numbers=None)), stdout=io.StringIO()
    )
    call_command("activate_campaign", "later", stdout=io.StringIO())
    newest = Decoy.objects.order_by("-id").first()
    assert [
        m.decoy_id for m in match_text(f"收件人 {newest.recipient_name} 地址 {newest.address_token}")
    ] == [newest.id]
