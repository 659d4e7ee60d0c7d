"""The PGM guilt baseline reproduces the paper's worked example."""

import numpy as np
import pytest

from canary.attribution.ledger import Ledger
from canary.attribution.pgm import guilt, ledger_guilt

# One agent holds 16 objects, another holds 8 of them, and all 16 leak.
HOLDINGS = [set(range(16)), set(range(8))]


@pytest.mark.parametrize(
    ("p", "first", "second"),
    [(0.2, 1.000, 0.983), (0.5, 1.000, 0.900), (0.9, 0.714, 0.337)],
)
def test_guilt_matches_the_16_8_worked_example(p, first, second):
    g1, g2 = guilt(HOLDINGS, set(range(16)), p)
    assert round(g1, 3) == first
    assert round(g2, 3) == second


def test_ledger_guilt_agrees_with_the_textbook_form():
    ledger = Ledger(
        ["A", "B"], ["depot", "courier"], range(16), [0] * 16 + [1] * 8, [*range(16), *range(8)], [0.0] * 24
    )
    for p in (0.2, 0.5, 0.9):
        assert np.allclose(ledger_guilt(ledger, np.arange(16), p), guilt(HOLDINGS, set(range(16)), p))


def test_guilt_ignores_objects_that_did_not_leak():
    assert guilt([{1, 2}, {3}], {3}, 0.5) == [0.0, 0.5]
