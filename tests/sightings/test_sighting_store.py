"""How sightings are stored: one row per piece of evidence and campaign, whatever the sharing."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from canary.attribution.models import Signal
from canary.campaigns.models import Campaign, Decoy
from canary.sightings import services
from canary.sightings.matcher import RecordMatch
from canary.sightings.models import Sighting
from canary.sightings.scanning import Found, evidence_key, finish_document, save_sightings

BEFORE = [("sightings", "0001_initial")]
AFTER = [("sightings", "0002_one_sighting_per_evidence")]


def found(location: str, candidates: list[int], kinds=("phone",)) -> list[Found]:
    """What the matcher gives for one piece of evidence: one result per decoy it fits."""
    shared = frozenset(candidates)
    return [
        Found(location, RecordMatch(ident, frozenset(kinds), "strong", 0, 0, 11, "13800138000", shared))
        for ident in candidates
    ]


@pytest.mark.django_db
def test_evidence_fitting_decoys_of_two_campaigns_is_stored_once_for_each(campaign):
    other = Campaign.objects.create(
        slug="second", name="second", carrier=campaign.carrier, strategy=campaign.strategy,
        decoys_per_node=1, starts_at=campaign.starts_at, ends_at=campaign.ends_at, status="active",
    )  # fmt: skip
    ids = list(Decoy.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)[:4])
    Decoy.objects.filter(id__in=ids[2:]).update(campaign=other)
    document, _ = services.store_document(b"x", "dump.txt", enqueue=False)

    save_sightings(document, found("dump.txt line 1", ids))
    finish_document(document.pk)

    rows = Sighting.objects.order_by("campaign_id").values_list("campaign_id", "decoy_id", "candidates")
    assert list(rows) == [(campaign.pk, None, ids[:2]), (other.pk, None, ids[2:])]
    assert {s.evidence_key for s in Sighting.objects.all()} == {evidence_key(ids)}
    # Attribution still hears the whole candidate set, a signal per campaign.
    assert sorted(sorted(s.decoys.values_list("id", flat=True)) for s in Signal.objects.all()) == [
        ids[:2],
        ids[2:],
    ]


@pytest.mark.django_db
def test_evidence_pinning_one_decoy_names_it(campaign):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    document, _ = services.store_document(b"x", "dump.txt", enqueue=False)

    save_sightings(document, found("dump.txt line 3", [decoy.pk], kinds=("waybill",)))

    sighting = Sighting.objects.get()
    assert (sighting.decoy, sighting.candidates, sighting.candidate_count) == (decoy, [decoy.pk], 1)


def test_a_long_candidate_set_is_named_by_a_digest_that_fits_its_column():
    many = range(1, 5000)

    assert evidence_key([3, 1, 2]) == "1+2+3"
    assert evidence_key(many) == evidence_key(reversed(many)) and len(evidence_key(many)) <= 80


@pytest.mark.django_db(transaction=True)
def test_rows_once_written_per_candidate_are_folded_into_one_per_evidence(campaign):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        OldSighting = old.get_model("sightings", "Sighting")
        ids = list(Decoy.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)[:3])
        OldDocument = old.get_model("sightings", "Document")
        document_id = OldDocument.objects.create(sha256="0" * 64, name="a", size=1).pk
        for ident in ids:  # a shared phone on line 1, as the old scan wrote it
            OldSighting.objects.create(
                document_id=document_id, decoy_id=ident, kinds=["phone"], strength="strong",
                candidates=ids, location="a line 1", signalled=True,
            )  # fmt: skip
        OldSighting.objects.create(
            document_id=document_id, decoy_id=ids[0], kinds=["waybill"], strength="strong",
            candidates=[ids[0]], location="a line 2",
        )  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

    rows = [
        (s.location, s.campaign_id, s.decoy_id, s.candidates, s.candidate_count, s.signalled)
        for s in Sighting.objects.order_by("location")
    ]
    assert rows == [
        ("a line 1", campaign.pk, None, ids, 3, True),
        ("a line 2", campaign.pk, ids[0], [ids[0]], 1, False),
    ]
