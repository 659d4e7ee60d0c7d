import pytest

from canary.campaigns.serials import BlockExhausted, claim_serials
from canary.campaigns.waybills import Carrier


@pytest.mark.django_db
def test_consecutive_claims_never_overlap():
    first, second = claim_serials(Carrier.SF, 10), claim_serials(Carrier.SF, 5)
    assert len(set(first)) == 10 and len(set(second)) == 5
    assert max(first) < min(second)


@pytest.mark.django_db
def test_decoy_serials_are_sparse_and_do_not_start_at_the_block_edge():
    from canary.campaigns.serials import reserved_block

    claimed = claim_serials(Carrier.SF, 100)
    first, _last = reserved_block(Carrier.SF)
    assert claimed[-1] - claimed[0] > 100
    assert min(claimed) > first


@pytest.mark.django_db
def test_claim_beyond_the_reserved_block_is_refused(settings):
    settings.WAYBILL_RESERVED_BLOCKS = {"yto": [1000000000000, 1000000000029]}
    claim_serials(Carrier.YTO, 8)
    with pytest.raises(BlockExhausted, match="numbers left"):
        claim_serials(Carrier.YTO, 8)


def test_100k_sampled_serials_make_unique_recognisable_numbers():
    import random

    from canary.campaigns.waybills import DEFAULT_RESERVED_BLOCKS, format_waybill, recognise

    for carrier in Carrier:
        first, last = DEFAULT_RESERVED_BLOCKS[carrier]
        serials = random.Random(1).sample(range(first, last + 1), 100_000)
        numbers = {format_waybill(carrier, s) for s in serials}
        assert len(numbers) == 100_000
        assert all(recognise(n) is carrier for n in list(numbers)[:2000])
