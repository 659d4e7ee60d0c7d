"""Fake recipients for decoy waybills: names, addresses and goods. Pure: no Django.

Every decoy carries a recipient nobody else has, so a sighting of the name or of the address
detail points at one decoy. Names are three characters, a single-character surname and two given
characters, so a privacy label prints them as ``张*伟`` and what survives masking is the *masked
key* ``张伟`` (surname + last character). Full names are never issued twice; a masked key is
shared by at most :data:`MAX_NAME_KEY_SHARE` issued names, so a masked-name sighting narrows the
candidates to at most that many decoys.

Capacity. The tables hold 232 surnames and 641 last characters: 148,667 usable masked keys (a
given name never ends in its own surname) and, at two names per key, 297,334 names in all, up to
1,282 per surname. Real surnames are very uneven: 王 alone would be 7.6 % of the names, so
following the real frequencies would fill 王's 1,282 names before the 17,000th decoy, after which
no decoy could be a 王 and the mix of decoys would drift with time. Instead the surname weights
are the real shares capped so that ``design_volume`` names (default :data:`DESIGN_VOLUME`,
100,000) use at most 90 % of any surname. At 100,000 the 30 most common surnames (王 … 曹, 65 %
of the people the table covers) are drawn equally often, ≈ 1.15 % each, and every other surname
keeps its real relative frequency (1.85× its real share). That holds from the first decoy on; a
single record says little about whether it is a decoy, only aggregate counts show the
flattening. A team that will issue fewer decoys can pass a smaller ``design_volume`` and get
closer to real frequencies (at 20,000 only 王李张 are capped). Past the design volume, surnames
that fill up drop out, and :class:`IdentitySpaceExhausted` is raised when none is left.
Given-name characters are drawn by rough popularity and by gender (a male middle character goes
with a male last character), and spread over all last characters as a surname's common keys fill
up.

Addresses take the province and city of the node they are seeded for; the district comes from a
table of major cities (otherwise a development zone, which every city has) unless the caller
knows it. The address *token*, compound + building + room (``锦绣花园7栋2单元1203室``), is
unique across everything ever issued, also with or without the trailing 室, and no compound name
ends another, so no token can occur inside another one.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import identity_data as data
from .masking import mask_name, masked_name_key

MAX_NAME_KEY_SHARE = 2
DESIGN_VOLUME = 100_000
# Share of a surname's names that the design volume may use; the rest absorbs random
# fluctuation and leaves room to pick among keys instead of taking the last free one.
_DESIGN_FILL = 0.9
_TRIES_BEFORE_ENUMERATING = 24
_TOKEN_TRIES = 200
_TWO_CHARACTER_SENDER_SHARE = 0.15
_ROOM_SUFFIX = "室"

_MALE, _FEMALE = 0, 1


class IdentitySpaceExhausted(ValueError):
    """No unused identity satisfies the uniqueness rules any more."""


@dataclass(frozen=True)
class Recipient:
    name: str
    masked_name: str
    name_key: str


@dataclass(frozen=True)
class Address:
    province: str
    city: str
    district: str
    street: str
    community: str
    building: str
    room: str
    token: str
    full: str


@dataclass(frozen=True)
class Item:
    category: str
    description: str
    declared_value: int


def _unique(chars: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chars))


def _cumulative(weights: Iterable[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _popularity_weights(count: int) -> list[float]:
    """Gently falling weights for a list in rough popularity order (first ≈ 4× the 300th)."""
    return [1.0 / (rank + 20) ** 0.5 for rank in range(count)]


SURNAMES: tuple[str, ...] = tuple(surname for surname, _ in data.SURNAME_SHARES)
_REAL_SHARES: tuple[float, ...] = tuple(share for _, share in data.SURNAME_SHARES)
_MIDDLE: tuple[tuple[str, ...], tuple[str, ...]] = (
    _unique(data.MALE_MIDDLE),
    _unique(data.FEMALE_MIDDLE),
)
_LAST: tuple[tuple[str, ...], tuple[str, ...]] = (_unique(data.MALE_LAST), _unique(data.FEMALE_LAST))
LAST_CHARACTERS: tuple[str, ...] = _unique(_LAST[_MALE] + _LAST[_FEMALE])
_MIDDLE_CUM = tuple(_cumulative(_popularity_weights(len(pool))) for pool in _MIDDLE)
_LAST_WEIGHTS = tuple(_popularity_weights(len(pool)) for pool in _LAST)
_LAST_CUM = tuple(_cumulative(weights) for weights in _LAST_WEIGHTS)
_REAL_SHARES_CUM = _cumulative(_REAL_SHARES)


def planned_surname_weights(
    shares: Sequence[float], names_per_surname: int, volume: int = DESIGN_VOLUME, fill: float = _DESIGN_FILL
) -> list[float]:
    """Real surname shares, capped so that ``volume`` names use at most ``fill`` of any surname.

    Capping only the largest shares (and leaving every other ratio as it is) distorts the real
    distribution as little as the capacity allows.
    """
    allowed = fill * names_per_surname / volume  # largest fraction of all names one surname may take
    total = sum(shares)
    if max(shares) / total <= allowed:
        return list(shares)
    if allowed * len(shares) <= 1:  # not even equal weights fit: the best is equal weights
        return [1.0] * len(shares)
    low, high = 0.0, max(shares)
    for _ in range(60):  # the capped fraction cap / Σ min(share, cap) grows with cap
        cap = (low + high) / 2
        if cap / sum(min(share, cap) for share in shares) <= allowed:
            low = cap
        else:
            high = cap
    return [min(share, low) for share in shares]


def _pick(rng: random.Random, pool: Sequence[str], cumulative: Sequence[float]) -> str:
    index = bisect.bisect(cumulative, rng.random() * cumulative[-1])
    return pool[min(index, len(pool) - 1)]


def _weighted_table(table: Sequence[tuple[str, int]]) -> tuple[tuple[str, ...], list[float]]:
    """A ``(value, weight)`` table as values and cumulative weights, ready for :func:`_pick`."""
    return tuple(value for value, _ in table), _cumulative(weight for _, weight in table)


_ROAD_ENDINGS = _weighted_table(data.ROAD_ENDINGS)
_BUILDING_FORMATS = _weighted_table(data.BUILDING_FORMATS)
_ITEM_CATEGORIES = tuple(data.ITEM_CATALOGUE)


def _communities() -> tuple[tuple[str, ...], list[float]]:
    """Every compound name that reads naturally, with its weight.

    A prefix that already ends like a compound (梅园, 翠苑) or shares a character with the
    ending (桂花 + 花园) would make an odd doubled name, so those pairs are left out.
    """
    names: list[str] = []
    weights: list[float] = []
    for prefix in data.COMMUNITY_PREFIXES:
        for ending, weight in data.COMMUNITY_ENDINGS:
            if prefix[-1] in "园苑城湾庭居府里" or set(prefix) & set(ending):
                continue
            names.append(prefix + ending)
            weights.append(weight)
    return tuple(names), weights


COMMUNITIES, _COMMUNITY_WEIGHTS = _communities()
_COMMUNITY_CUM = _cumulative(_COMMUNITY_WEIGHTS)


def canonical_token(token: str) -> str:
    """The form two tokens are compared in: ``…1203室`` and ``…1203`` are the same place."""
    return token.strip().removesuffix(_ROOM_SUFFIX)


class IdentityFactory:
    """Issues recipients, addresses and goods that were never issued before."""

    def __init__(
        self,
        seed: int | None = None,
        *,
        used_names: Iterable[str] = (),
        used_name_keys: Iterable[str] = (),
        used_address_tokens: Iterable[str] = (),
        max_name_key_share: int = MAX_NAME_KEY_SHARE,
        design_volume: int = DESIGN_VOLUME,
    ) -> None:
        if max_name_key_share < 1:
            raise ValueError("max_name_key_share must be at least 1")
        self._rng = random.Random(seed)
        self._share = max_name_key_share
        self._used_names = {name.strip() for name in used_names}
        # A key's issued count is taken from the keys given; names given without their keys count
        # too, so passing either list (or both, describing the same names) gives the right count.
        from_keys = Counter(key.strip() for key in used_name_keys)
        from_names = Counter(masked_name_key(name) for name in self._used_names)
        self._key_counts: Counter[str] = from_keys | from_names
        self._used_tokens = {canonical_token(token) for token in used_address_tokens}
        self._previous_community = ""

        self._surname_weights = planned_surname_weights(
            _REAL_SHARES, self._share * len(LAST_CHARACTERS), volume=design_volume
        )
        self._surname_cum = _cumulative(self._surname_weights)
        # Free last characters per surname and gender, kept current as keys fill up.
        self._last_sets = tuple(frozenset(pool) for pool in _LAST)
        self._free = {
            (surname, gender): len(_LAST[gender]) for surname in SURNAMES for gender in (_MALE, _FEMALE)
        }
        self._full_surnames: set[str] = set()
        # A given name never repeats the surname (林某林 reads wrong), so those keys start full.
        full_keys = {key for key, count in self._key_counts.items() if count >= self._share and len(key) == 2}
        for key in full_keys | {surname + surname for surname in SURNAMES}:
            self._forget_key(key)

    # --- names -------------------------------------------------------------------------------

    def recipient(self) -> Recipient:
        """A new recipient: full name never issued, masked key below the share bound."""
        name = self._new_name()
        return Recipient(name=name, masked_name=mask_name(name), name_key=masked_name_key(name))

    def person_name(self) -> str:
        """A plausible sender contact name, real surname frequencies, no uniqueness."""
        rng = self._rng
        surname = _pick(rng, SURNAMES, _REAL_SHARES_CUM)
        gender = _MALE if rng.random() < 0.5 else _FEMALE
        last = surname
        while last == surname:
            last = _pick(rng, _LAST[gender], _LAST_CUM[gender])
        if rng.random() < _TWO_CHARACTER_SENDER_SHARE:
            return surname + last
        middle = last
        while middle in (surname, last):
            middle = _pick(rng, _MIDDLE[gender], _MIDDLE_CUM[gender])
        return surname + middle + last

    def _new_name(self) -> str:
        rng = self._rng
        # Each failed round marks a surname or a key as full, so the loop always ends.
        while True:
            surname = self._draw_surname()
            gender = _MALE if rng.random() < 0.5 else _FEMALE
            if self._free[surname, gender] == 0:
                gender = 1 - gender
            last = self._draw_last(surname, gender)
            middle = self._draw_middle(surname, gender, last)
            if middle is None:  # every full name with this key is taken: treat the key as full
                self._key_counts[surname + last] = self._share
                self._forget_key(surname + last)
                continue
            name = surname + middle + last
            self._used_names.add(name)
            self._key_counts[surname + last] += 1
            if self._key_counts[surname + last] == self._share:
                self._forget_key(surname + last)
            return name

    def _draw_surname(self) -> str:
        for _ in range(_TRIES_BEFORE_ENUMERATING):
            surname = _pick(self._rng, SURNAMES, self._surname_cum)
            if surname not in self._full_surnames:
                return surname
        available = [
            (surname, weight)
            for surname, weight in zip(SURNAMES, self._surname_weights, strict=True)
            if surname not in self._full_surnames
        ]
        if not available:
            raise IdentitySpaceExhausted(
                f"every surname has all its masked keys issued {self._share} times; no new recipient "
                f"name can keep masked names within {self._share} decoys each"
            )
        return self._rng.choices([s for s, _ in available], weights=[w for _, w in available])[0]

    def _draw_last(self, surname: str, gender: int) -> str:
        pool, cumulative = _LAST[gender], _LAST_CUM[gender]
        for _ in range(_TRIES_BEFORE_ENUMERATING):
            last = _pick(self._rng, pool, cumulative)
            if last != surname and self._key_counts[surname + last] < self._share:
                return last
        free = [
            (last, weight)
            for last, weight in zip(pool, _LAST_WEIGHTS[gender], strict=True)
            if last != surname and self._key_counts[surname + last] < self._share
        ]
        return self._rng.choices([last for last, _ in free], weights=[weight for _, weight in free])[0]

    def _draw_middle(self, surname: str, gender: int, last: str) -> str | None:
        pool, cumulative = _MIDDLE[gender], _MIDDLE_CUM[gender]
        for _ in range(_TRIES_BEFORE_ENUMERATING):
            middle = _pick(self._rng, pool, cumulative)
            if middle not in (surname, last) and surname + middle + last not in self._used_names:
                return middle
        free = [m for m in pool if m not in (surname, last) and surname + m + last not in self._used_names]
        return self._rng.choice(free) if free else None

    def _forget_key(self, key: str) -> None:
        """A key reached the share bound: its last character is no longer free for its surname."""
        surname, last = key[0], key[1]
        if (surname, _MALE) not in self._free:
            return  # a surname outside our tables (issued by someone else): nothing to track
        for gender in (_MALE, _FEMALE):
            if last in self._last_sets[gender]:
                self._free[surname, gender] -= 1
        if self._free[surname, _MALE] == 0 and self._free[surname, _FEMALE] == 0:
            self._full_surnames.add(surname)

    # --- addresses ---------------------------------------------------------------------------

    def address(self, province: str, city: str, *, district: str | None = None) -> Address:
        """A new address in ``city``; its token (compound + building + room) was never issued."""
        rng = self._rng
        district = district or self._district(city)
        street = self._street()
        for _ in range(_TOKEN_TRIES):
            community = _pick(rng, COMMUNITIES, _COMMUNITY_CUM)
            if community == self._previous_community:  # a batch clustered in one compound looks staged
                continue
            building = self._building()
            room = self._room()
            token = community + building + room
            if canonical_token(token) not in self._used_tokens:
                break
        else:
            raise IdentitySpaceExhausted(
                f"no unused compound/building/room combination found in {_TOKEN_TRIES} tries"
            )
        self._used_tokens.add(canonical_token(token))
        self._previous_community = community
        return Address(
            province=province,
            city=city,
            district=district,
            street=street,
            community=community,
            building=building,
            room=room,
            token=token,
            full=f"{province}{city}{district}{street}{token}",
        )

    def _district(self, city: str) -> str:
        districts = data.CITY_DISTRICTS.get(city.strip().removesuffix("市"), data.GENERIC_DISTRICTS)
        return self._rng.choice(districts)

    def _street(self) -> str:
        rng = self._rng
        road = rng.choice(data.ROAD_NAMES) + _pick(rng, *_ROAD_ENDINGS)
        # House numbers: most addresses sit in the first few hundred numbers of a road.
        band = rng.random()
        if band < 0.5:
            number = rng.randint(1, 99)
        elif band < 0.75:
            number = rng.randint(100, 399)
        else:
            number = rng.randint(1, 999)
        return f"{road}{number}号"

    def _building(self) -> str:
        rng = self._rng
        number = min(1 + int(rng.expovariate(1 / 8)), 40)
        building = _pick(rng, *_BUILDING_FORMATS).format(number=number)
        if rng.random() < 0.55:
            building += f"{rng.choice((1, 1, 2, 2, 3, 4))}单元"
        return building

    def _room(self) -> str:
        rng = self._rng
        storeys = rng.choice((6, 6, 7, 11, 18, 18, 26, 32, 33))
        doors = 2 if storeys <= 7 else rng.choice((2, 4))
        room = f"{rng.randint(1, storeys)}{rng.randint(1, doors):02d}"
        return room + _ROOM_SUFFIX if rng.random() < 0.7 else room

    # --- goods -------------------------------------------------------------------------------

    def item(self) -> Item:
        """Goods that buyers of leaked waybills prize, with a shop-like declared value in yuan."""
        rng = self._rng
        category = rng.choice(_ITEM_CATEGORIES)
        description, low, high = rng.choice(data.ITEM_CATALOGUE[category])
        # Prices end the way shop prices do: …9, …0 or …8.
        value = rng.randint(low, high) // 10 * 10 + rng.choice((9, 9, 9, 0, 8))
        return Item(category=category, description=description, declared_value=max(low, min(value, high)))
