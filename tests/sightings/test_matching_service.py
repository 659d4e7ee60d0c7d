import io
import pickle
from pathlib import Path

from django.core.management import call_command

from canary.campaigns.models import Decoy
from canary.phones.pool import add_numbers
from canary.sightings import matching
from canary.sightings.matcher import DecoyTokens, Matcher
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


# --------------------------------------------------------------------------- the stored compiled form


def stored_files(settings) -> list[Path]:
    return sorted(Path(settings.SIGHTINGS_MATCHER_CACHE).glob("matcher-*.pickle"))


def test_a_new_process_loads_the_stored_matcher_instead_of_compiling(campaign, settings):
    decoy = Decoy.objects.filter(campaign=campaign).order_by("id")[2]
    matching.get_matcher()
    (stored,) = stored_files(settings)
    # Replace the stored form, validly signed, by a matcher over another decoy only: if the next
    # process compiled from the database, it would find the real decoy.
    other = Matcher.build(
        [DecoyTokens(999_999, "SF9999999999999", "+8613900000000", "某某某", "无此小区1幢")]
    )
    stored.write_bytes(matching._signed(pickle.dumps(other)))
    matching.forget_in_memory()

    assert match_text(decoy.waybill_no) == []
    assert [m.decoy_id for m in match_text("SF9999999999999")] == [999_999]
    assert stored_files(settings) == [stored]


def test_a_stored_matcher_with_a_bad_signature_is_refused_and_rebuilt(campaign, settings, caplog):
    decoy = Decoy.objects.filter(campaign=campaign).order_by("id")[2]
    matching.get_matcher()
    (stored,) = stored_files(settings)
    data = bytearray(stored.read_bytes())
    data[-1] ^= 1  # the attacker's edit
    stored.write_bytes(bytes(data))
    matching.forget_in_memory()

    assert [m.decoy_id for m in match_text(decoy.waybill_no)] == [decoy.id]
    assert "bad signature" in caplog.text
    matching.forget_in_memory()
    assert matching._load_current() is not None  # stored again, signed


def test_a_matcher_stored_under_another_secret_key_is_refused(campaign, settings):
    matching.get_matcher()
    matching.forget_in_memory()
    settings.SECRET_KEY = "another-installation-" + "x" * 40

    assert matching._load_current() is None
