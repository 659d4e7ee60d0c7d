"""Number codebook: distinct spread-out codewords from a small pool of numbers."""

import itertools

import pytest

from canary.attribution.codebook import CodebookTooSmall, capacity, codewords, smallest_weight


def test_codewords_are_distinct_and_share_at_most_one_number():
    # 12 numbers, 3 per node, 16 nodes: a packing where no two nodes share two numbers exists,
    # and the greedy choice finds it (a naive in-order choice would not: {0,1,2} and {0,1,3}).
    words = codewords(12, 3, 16)
    assert len(set(words)) == 16
    assert all(len(w) == 3 for w in words)
    assert max(len(a & b) for a, b in itertools.combinations(words, 2)) <= 1


def test_smallest_weight_uses_the_fewest_numbers_that_fit():
    assert capacity(20, 3) == 1140
    assert smallest_weight(20, 1000, 5) == 3


def test_a_pool_too_small_for_the_nodes_is_refused():
    with pytest.raises(CodebookTooSmall):
        smallest_weight(5, 100, 2)
