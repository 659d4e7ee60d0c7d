"""The exposure ledger keeps the earliest sighting and finds decoys by id."""

from datetime import UTC, datetime

import numpy as np

from canary.attribution.ledger import Ledger


def test_a_decoy_seen_twice_by_one_node_counts_from_the_first_sighting():
    ledger = Ledger(["A"], ["depot"], [10], [0, 0], [0, 0], [500.0, 100.0], [0, 1])
    assert ledger.n_exposures == 1
    assert ledger.exposure(0, 0) == (100.0, "system")


def test_unknown_decoy_ids_map_to_minus_one():
    ledger = Ledger(["A"], ["depot"], [30, 10, 20], [0], [1], [0.0])
    assert ledger.decoy_indexes([20, 99, 30]).tolist() == [2, -1, 0]


def test_from_records_reads_query_rows_with_datetimes():
    seen = datetime(2025, 3, 1, tzinfo=UTC)
    ledger = Ledger.from_records(
        [("DEP1", "depot"), ("CR1", "courier")],
        [(7, False, True), (8, True, False)],
        [("DEP1", 7, seen, "label"), ("CR1", 7, seen, "api")],
    )
    assert ledger.holders(0)[0].tolist() == [0, 1]
    assert ledger.control.tolist() == [False, True]
    assert ledger.privacy_label.tolist() == [True, False]
    assert ledger.exposure(1, 0) == (seen.timestamp(), "api")


def test_seen_counts_can_stop_at_a_cutoff():
    ledger = Ledger(["A", "B"], ["depot", "hub"], [1, 2, 3], [0, 0, 1], [0, 1, 2], [10.0, 20.0, 30.0])
    assert ledger.seen_counts().tolist() == [2, 1]
    assert ledger.seen_counts(before=15.0).tolist() == [1, 0]


def test_isolated_decoys_are_seen_by_their_node_only():
    ledger = Ledger(["A", "B"], ["partner", "partner"], [1], [0, 1], [0, 0], [0.0, 0.0])
    fixed = ledger.with_isolated_decoys({1: 3}, at=5.0)
    assert fixed.n_decoys == 4
    assert np.array_equal(fixed.seen_counts(), [1, 4])
