"""Number codebook: distinct spread-out codewords, and decoding of which numbers got called."""

from canary.attribution.codebook import capacity, codewords, decode_calls, min_distance, smallest_weight


def test_codewords_are_distinct_and_keep_a_distance():
    words = codewords(10, 3, 20)
    assert len(set(words)) == 20
    assert all(len(w) == 3 for w in words)
    assert min_distance(words) >= 2


def test_smallest_weight_uses_the_fewest_numbers_that_fit():
    assert capacity(20, 3) == 1140
    assert smallest_weight(20, 1000, 5) == 3


def test_a_leaker_whose_numbers_all_rang_decodes_first_despite_a_spam_call():
    words = codewords(12, 3, 30)
    leaker = 17
    spam = next(n for n in range(12) if n not in words[leaker])
    ranked = decode_calls(words, set(words[leaker]) | {spam})
    assert ranked[0].node == leaker
    assert ranked[0].definite


def test_two_leakers_are_both_possible_and_definite():
    words = codewords(14, 3, 40)
    a, b = 3, 29
    ranked = decode_calls(words, words[a] | words[b])
    definite = {m.node for m in ranked if m.definite}
    assert {a, b} <= definite
    assert {ranked[0].node, ranked[1].node} == {a, b}


def test_a_partly_called_codeword_is_not_possible_but_ranks_by_coverage():
    words = [frozenset({0, 1, 2}), frozenset({3, 4, 5})]
    ranked = decode_calls(words, {0, 1})
    assert ranked[0].node == 0 and not ranked[0].possible and ranked[0].covered == 2 / 3
