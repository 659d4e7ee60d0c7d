from collections import Counter
from itertools import pairwise

import pytest

from canary.campaigns import identities
from canary.campaigns.identities import (
    LAST_CHARACTERS,
    MAX_NAME_KEY_SHARE,
    SURNAMES,
    IdentityFactory,
    IdentitySpaceExhausted,
    canonical_token,
    planned_surname_weights,
)
from canary.campaigns.identity_data import CITY_DISTRICTS, GENERIC_DISTRICTS, ITEM_CATALOGUE
from canary.campaigns.masking import mask_name, masked_name_key

CITIES = [("北京市", "北京市"), ("广东省", "深圳市"), ("四川省", "成都市"), ("甘肃省", "天水市")]
PRIZED_CATEGORIES = {"母婴", "美妆", "家电", "数码", "保健品", "酒水", "服饰", "食品"}


def is_common_character(char: str) -> bool:
    """In GB 2312, the 6,763 characters everyday Chinese text is written with."""
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def every_key(times: int, *, but: str = "") -> list[str]:
    """Every masked key the tables can make, ``times`` each, except ``but``."""
    keys = [surname + last for surname in SURNAMES for last in LAST_CHARACTERS]
    return [key for key in keys if key != but] * times


@pytest.fixture(scope="module")
def issued():
    """100,000 complete identities from one factory, as a campaign would draw them."""
    factory = IdentityFactory(seed=20240601)
    recipients, addresses, items = [], [], []
    for i in range(100_000):
        province, city = CITIES[i % len(CITIES)]
        recipients.append(factory.recipient())
        addresses.append(factory.address(province, city))
        items.append(factory.item())
    return recipients, addresses, items


def test_100k_recipient_names_are_all_different(issued):
    recipients, _, _ = issued
    assert len({r.name for r in recipients}) == 100_000


def test_100k_recipients_keep_every_masked_name_within_the_share_bound(issued):
    recipients, _, _ = issued
    shares = Counter(r.name_key for r in recipients)
    assert max(shares.values()) <= MAX_NAME_KEY_SHARE


def test_recipients_are_three_character_names_that_mask_like_a_privacy_label(issued):
    recipients, _, _ = issued
    for r in recipients:
        assert len(r.name) == 3 and r.name[0] in SURNAMES
        assert r.name[0] not in r.name[1:] and r.name[1] != r.name[2]  # no 林林峰, 王丽丽
        assert r.masked_name == mask_name(r.name) == f"{r.name[0]}*{r.name[2]}"
        assert r.name_key == masked_name_key(r.name) == r.name[0] + r.name[2]


def test_names_use_only_common_characters(issued):
    recipients, _, _ = issued
    characters = {c for r in recipients for c in r.name}
    assert all(is_common_character(c) for c in characters)


def test_common_surnames_are_far_more_frequent_than_rare_ones(issued):
    recipients, _, _ = issued
    surnames = Counter(r.name[0] for r in recipients)
    top_ten = {s for s, _ in surnames.most_common(10)}
    assert top_ten <= set(SURNAMES[:40])
    assert surnames["王"] > 8 * surnames["沙"] > 0
    # Below the capped top, surnames keep their real order: 邹 (0.30 %) beats 牛 (0.15 %).
    assert surnames["邹"] > surnames["牛"]


def test_100k_address_tokens_are_all_different_and_inside_the_full_address(issued):
    _, addresses, _ = issued
    assert len({canonical_token(a.token) for a in addresses}) == 100_000
    for a in addresses:
        assert a.token == a.community + a.building + a.room
        assert a.full == a.province + a.city + a.district + a.street + a.token
        assert a.token in a.full


def test_consecutive_addresses_are_never_in_the_same_compound(issued):
    _, addresses, _ = issued
    assert all(a.community != b.community for a, b in pairwise(addresses))


def test_no_compound_name_ends_another_so_tokens_never_nest():
    names = set(identities.COMMUNITIES)
    assert not [name for name in names for cut in range(1, len(name)) if name[cut:] in names]


def test_districts_belong_to_the_city_when_it_is_known(issued):
    _, addresses, _ = issued
    for a in addresses:
        city = a.city.removesuffix("市")
        assert a.district in CITY_DISTRICTS.get(city, GENERIC_DISTRICTS)


def test_a_district_given_by_the_caller_is_used():
    address = IdentityFactory(seed=1).address("浙江省", "湖州市", district="吴兴区")
    assert address.district == "吴兴区"
    assert address.full.startswith("浙江省湖州市吴兴区")


def test_items_are_prized_goods_with_a_plausible_declared_value(issued):
    _, _, items = issued
    assert {i.category for i in items} == PRIZED_CATEGORIES
    ranges = {(cat, d): (lo, hi) for cat, goods in ITEM_CATALOGUE.items() for d, lo, hi in goods}
    for i in items:
        low, high = ranges[i.category, i.description]
        assert isinstance(i.declared_value, int) and low <= i.declared_value <= high


def test_same_seed_gives_the_same_identities_and_another_seed_does_not():
    def draw(seed):
        factory = IdentityFactory(seed=seed)
        return [
            (factory.recipient(), factory.address("江苏省", "南京市"), factory.item()) for _ in range(500)
        ]

    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


def test_identities_issued_before_are_never_issued_again():
    first = IdentityFactory(seed=3)
    old = [(first.recipient(), first.address("上海市", "上海市")) for _ in range(5000)]
    # Same seed: the new factory would draw the very same identities if it ignored the old ones.
    second = IdentityFactory(
        seed=3,
        used_names=(r.name for r, _ in old),
        used_name_keys=(r.name_key for r, _ in old),
        used_address_tokens=(a.token for _, a in old),
    )
    new = [(second.recipient(), second.address("上海市", "上海市")) for _ in range(5000)]
    assert not {r.name for r, _ in old} & {r.name for r, _ in new}
    assert not {canonical_token(a.token) for _, a in old} & {canonical_token(a.token) for _, a in new}
    shares = Counter(r.name_key for r, _ in old + new)
    assert max(shares.values()) <= MAX_NAME_KEY_SHARE


def test_names_given_without_their_keys_still_count_toward_the_share():
    first = IdentityFactory(seed=5)
    old = [first.recipient().name for _ in range(20_000)]
    second = IdentityFactory(seed=5, used_names=old)
    new = [second.recipient().name for _ in range(20_000)]
    shares = Counter(masked_name_key(name) for name in old + new)
    assert max(shares.values()) <= MAX_NAME_KEY_SHARE


def test_keys_already_used_once_can_take_only_one_more_name():
    factory = IdentityFactory(seed=11, used_name_keys=every_key(1))
    new_keys = Counter(factory.recipient().name_key for _ in range(5000))
    assert max(new_keys.values()) == 1


def test_running_out_of_masked_keys_raises_a_clear_error():
    factory = IdentityFactory(seed=2, used_name_keys=every_key(2, but="李伟"))
    assert [factory.recipient().name_key for _ in range(2)] == ["李伟", "李伟"]
    with pytest.raises(IdentitySpaceExhausted, match="masked keys"):
        factory.recipient()


def test_share_of_one_allows_each_masked_key_once():
    factory = IdentityFactory(seed=2, used_name_keys=every_key(1, but="王芳"), max_name_key_share=1)
    assert factory.recipient().name_key == "王芳"
    with pytest.raises(IdentitySpaceExhausted):
        factory.recipient()


def test_a_token_issued_with_or_without_room_suffix_is_not_issued_again(monkeypatch):
    monkeypatch.setattr(IdentityFactory, "_building", lambda self: "7栋")
    monkeypatch.setattr(IdentityFactory, "_room", lambda self: "1203室")
    monkeypatch.setattr(identities, "COMMUNITIES", ("锦绣花园", "阳光小区"))
    monkeypatch.setattr(identities, "_COMMUNITY_CUM", [1.0, 2.0])
    factory = IdentityFactory(seed=1, used_address_tokens=["锦绣花园7栋1203"])
    assert factory.address("湖北省", "武汉市").token == "阳光小区7栋1203室"
    with pytest.raises(IdentitySpaceExhausted, match="compound/building/room"):
        factory.address("湖北省", "武汉市")


def test_sender_names_are_plausible_and_may_repeat():
    factory = IdentityFactory(seed=9)
    names = [factory.person_name() for _ in range(20_000)]
    assert all(len(n) in (2, 3) and n[0] in SURNAMES and all(map(is_common_character, n)) for n in names)
    assert len(set(names)) < len(names)
    assert Counter(n[0] for n in names).most_common(1)[0][0] in "王李张"


def test_surname_weights_cap_only_the_largest_shares():
    shares = [50.0, 30.0, 8.0, 6.0, 6.0]
    weights = planned_surname_weights(shares, names_per_surname=100, volume=400, fill=1.0)
    fractions = [w / sum(weights) for w in weights]
    assert max(fractions) <= 0.25 + 1e-9
    assert weights[2:] == shares[2:]
    assert weights[0] == pytest.approx(weights[1])


def test_surname_weights_are_the_real_shares_when_capacity_allows():
    shares = [5.0, 3.0, 2.0]
    assert planned_surname_weights(shares, names_per_surname=1000, volume=100) == shares
