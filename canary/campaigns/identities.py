"""Fake recipients for decoy waybills: names, addresses and goods. Pure: no Django.

Every decoy carries a recipient nobody else has, so a sighting of the full name or of the address
detail points at one decoy. Names follow the census, because an insider who sorts a dump by
surname rarity or name length must not be able to filter the decoys out:

- Surnames are drawn with their published shares (:data:`identity_data.SURNAME_SHARES`, rescaled
  so the top 100 make 86 % and 王李张刘陈 about 31 %, as in the Ministry of Public Security's
  yearly name reports).
- Each recipient gets a plausible birth decade (1960s-2000s); the decade sets how likely a
  one-character given name is (a two-character full name, ≈ 17 % overall) and half of the given
  characters come from that decade's favourites (建国 in the 1960s, 子轩 in the 2000s).
  About 0.3 % are four-character names with a compound surname (欧阳娜娜).

Uniqueness and masking. Full names are never issued twice. A privacy label prints ``张*伟``; what
survives masking is the *masked key* (surname + last character, :func:`masking.masked_name_key`).
The factory fills a surname's keys level by level: no key of a surname takes its next name while
another key of that surname has fewer, so the number of decoys behind a masked key — the *share
bound*, :data:`MAX_NAME_KEY_SHARE` at first — grows with volume instead of running out: about 2-3
per key for common surnames at 10,000 decoys, about 10 at 100,000 and about 90 for 王 at 1,000,000
(rare surnames stay at 2). A two-character name masks to the surname alone (``张*``), which
narrows little: attribution treats it as a weak signal (see ``canary/attribution/MODEL.md``).
When a surname has used every two-character name, its recipients get three-character names, so
at very high volume the share of two-character names of the commonest surnames falls.

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

# Decoys that may share a masked key before the bound of that surname grows.
MAX_NAME_KEY_SHARE = 2
_TRIES_BEFORE_ENUMERATING = 24
_TOKEN_TRIES = 200
_TWO_CHARACTER_SENDER_SHARE = 0.15
_ROOM_SUFFIX = "室"

_MALE, _FEMALE = 0, 1


class IdentitySpaceExhausted(ValueError):
    """No unused identity satisfies the uniqueness rules any more.

    ``exhausted`` says what ran out, ``NAMES`` (with the ``surname``) or ``ADDRESSES``, so that
    callers can say it in the reader's language.
    """

    NAMES, ADDRESSES = "names", "addresses"

    def __init__(self, message: str, *, exhausted: str, surname: str = "") -> None:
        super().__init__(message)
        self.exhausted = exhausted
        self.surname = surname


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


def census_shares(
    shares: Sequence[float], top_share: float = data.TOP_100_SHARE, top: int = 100
) -> list[float]:
    """The table's shares as fractions of all names: the first ``top`` sum to ``top_share``,
    the rest to the remainder, each keeping its ratio to the others of its band."""
    head, tail = sum(shares[:top]), sum(shares[top:])
    if not tail:
        return [share / head for share in shares]
    return [share * top_share / head for share in shares[:top]] + [
        share * (1 - top_share) / tail for share in shares[top:]
    ]


SURNAMES: tuple[str, ...] = tuple(surname for surname, _ in data.SURNAME_SHARES)
SURNAME_FRACTIONS: tuple[float, ...] = tuple(census_shares([share for _, share in data.SURNAME_SHARES]))
_SURNAME_CUM = _cumulative(SURNAME_FRACTIONS)
_COMPOUNDS = (
    tuple(s for s, _ in data.COMPOUND_SURNAMES),
    _cumulative(w for _, w in data.COMPOUND_SURNAMES),
)
_DECADES = tuple(decade for decade, _ in data.BIRTH_DECADES)
_DECADE_CUM = _cumulative(weight for _, weight in data.BIRTH_DECADES)
_MIDDLE: tuple[tuple[str, ...], tuple[str, ...]] = (
    _unique(data.MALE_MIDDLE),
    _unique(data.FEMALE_MIDDLE),
)
_LAST: tuple[tuple[str, ...], tuple[str, ...]] = (_unique(data.MALE_LAST), _unique(data.FEMALE_LAST))
LAST_CHARACTERS: tuple[str, ...] = _unique(_LAST[_MALE] + _LAST[_FEMALE])
# When the popular middle characters of a key are used up, any given character of the gender
# serves (建华 and 华建 are both names): this keeps a key's full names from running out.
_ANY_MIDDLE = tuple(_unique(_MIDDLE[g] + _LAST[g]) for g in (_MALE, _FEMALE))
_MIDDLE_CUM = tuple(_cumulative(_popularity_weights(len(pool))) for pool in _MIDDLE)
_LAST_WEIGHTS = tuple(_popularity_weights(len(pool)) for pool in _LAST)
_LAST_CUM = tuple(_cumulative(weights) for weights in _LAST_WEIGHTS)
_LAST_SETS = tuple(frozenset(pool) for pool in _LAST)
# Per decade and gender: (favourite middles, favourite lasts), kept to characters in our tables.
_FAVOURITES = {
    (decade, gender): (
        tuple(c for c in chars[2 * gender] if c in _ANY_MIDDLE[gender]),
        tuple(c for c in chars[2 * gender + 1] if c in _LAST_SETS[gender]),
    )
    for decade, chars in data.DECADE_FAVOURITES.items()
    for gender in (_MALE, _FEMALE)
}


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
        surnames: Sequence[str] = SURNAMES,
    ) -> None:
        if max_name_key_share < 1:
            raise ValueError("max_name_key_share must be at least 1")
        self._rng = random.Random(seed)
        self._share = max_name_key_share
        self._used_names = {name.strip() for name in used_names}
        # A key's issued count is taken from the keys given; names given without their keys count
        # too, so passing either list (or both, describing the same names) gives the right count.
        from_keys = Counter(key.strip() for key in used_name_keys)
        from_names = Counter(masked_name_key(name) for name in self._used_names if len(name.strip()) > 2)
        self._key_counts: Counter[str] = from_keys | from_names
        self._used_tokens = {canonical_token(token) for token in used_address_tokens}
        self._previous_community = ""

        # ``surnames`` narrows the table (a small factory for tests), keeping the census weights.
        weights = dict(zip(SURNAMES, SURNAME_FRACTIONS, strict=True))
        self._surnames = tuple(s for s in surnames if s in weights)
        self._surname_cum = _cumulative(weights[s] for s in self._surnames)
        # Per surname: the current share bound and, per gender, how many last characters still
        # take a name under it. Filled in on first use (most campaigns touch a few surnames).
        self._bound: dict[str, int] = {}
        self._free: dict[tuple[str, int], int] = {}
        self._open: dict[tuple[str, int], list[str]] = {}  # last characters not yet found full
        self._dead_keys: set[str] = set()  # keys whose every full name is taken
        self._no_two_character: set[str] = set()  # surnames whose two-character names are used up

    # --- names -------------------------------------------------------------------------------

    def recipient(self) -> Recipient:
        """A new recipient: full name never issued, masked key within its surname's bound."""
        name = self._new_name()
        return Recipient(name=name, masked_name=mask_name(name), name_key=masked_name_key(name))

    def share_bound(self, surname: str) -> int:
        """How many decoys the masked keys of ``surname`` may share at present."""
        return self._bound.get(surname, self._share)

    def person_name(self) -> str:
        """A plausible sender contact name, real surname frequencies, no uniqueness."""
        rng = self._rng
        surname = _pick(rng, SURNAMES, _SURNAME_CUM)
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
        decade = _pick(rng, _DECADES, _DECADE_CUM)
        gender = _MALE if rng.random() < 0.5 else _FEMALE
        if rng.random() < data.FOUR_CHARACTER_SHARE:
            name = self._four_character_name(decade, gender)
            if name:
                return self._issue(name)
        surname = self._draw_surname()
        if (
            surname not in self._no_two_character
            and rng.random() < data.TWO_CHARACTER_SHARE_BY_DECADE[decade]
        ):
            name = self._two_character_name(surname, decade, gender)
            if name:
                return self._issue(name)
        return self._issue(self._three_character_name(surname, decade, gender))

    def _issue(self, name: str) -> str:
        self._used_names.add(name)
        if len(name) > 2:
            key = masked_name_key(name)
            self._key_counts[key] += 1
            surname = key[0]
            tracked = (surname, _MALE) in self._free and key not in self._dead_keys
            if tracked and self._key_counts[key] == self._bound[surname]:
                self._key_filled(surname, key[1])
        return name

    def _draw_surname(self) -> str:
        return _pick(self._rng, self._surnames, self._surname_cum)

    def _given(self, decade: int, gender: int, position: int) -> str:
        """A decade favourite half of the time, otherwise a character by general popularity."""
        rng = self._rng
        favourites = _FAVOURITES[decade, gender][position]
        if favourites and rng.random() < data.DECADE_FAVOURITE_SHARE:
            return rng.choice(favourites)
        if position == 0:
            return _pick(rng, _MIDDLE[gender], _MIDDLE_CUM[gender])
        return _pick(rng, _LAST[gender], _LAST_CUM[gender])

    def _two_character_name(self, surname: str, decade: int, gender: int) -> str | None:
        for _ in range(_TRIES_BEFORE_ENUMERATING):
            last = self._given(decade, gender, 1)
            if last != surname and surname + last not in self._used_names:
                return surname + last
        rng = self._rng
        for _ in range(_TRIES_BEFORE_ENUMERATING):
            last = LAST_CHARACTERS[rng.randrange(len(LAST_CHARACTERS))]
            if last != surname and surname + last not in self._used_names:
                return surname + last
        if all(surname + last in self._used_names for last in LAST_CHARACTERS if last != surname):
            self._no_two_character.add(surname)
        return None  # a three-character name instead

    def _four_character_name(self, decade: int, gender: int) -> str | None:
        compound = _pick(self._rng, *_COMPOUNDS)
        for _ in range(_TRIES_BEFORE_ENUMERATING):
            middle, last = self._given(decade, gender, 0), self._given(decade, gender, 1)
            name = compound + middle + last
            key = masked_name_key(name)
            if middle != last and name not in self._used_names and self._key_counts[key] < self._share:
                return name
        return None

    def _three_character_name(self, surname: str, decade: int, gender: int) -> str:
        # Each round that finds no middle character kills a key, so the loop always ends.
        while True:
            if self._free_for(surname, gender) <= 0:
                if self._free_for(surname, 1 - gender) <= 0:
                    self._raise_bound(surname)
                    continue
                gender = 1 - gender
            last = self._draw_last(surname, decade, gender)
            middle = self._draw_middle(surname, decade, gender, last)
            if middle is not None:
                return surname + middle + last
            self._dead_keys.add(surname + last)
            self._key_filled(surname, last)

    def _free_for(self, surname: str, gender: int) -> int:
        if (surname, gender) not in self._free:
            self._bound.setdefault(surname, self._share)
            self._count_free(surname)
        return self._free[surname, gender]

    def _usable(self, surname: str, last: str) -> bool:
        key = surname + last
        return last != surname and key not in self._dead_keys and self._key_counts[key] < self._bound[surname]

    def _count_free(self, surname: str) -> None:
        for gender in (_MALE, _FEMALE):
            self._free[surname, gender] = sum(self._usable(surname, last) for last in _LAST[gender])

    def _raise_bound(self, surname: str) -> None:
        """Every key of the surname holds as many decoys as the bound allows: let each take one
        more (the graceful growth), unless no key has a full name left at all."""
        if all(surname + last in self._dead_keys for last in LAST_CHARACTERS if last != surname):
            raise IdentitySpaceExhausted(
                f"every full name with the surname {surname} has been issued; no new recipient can be named",
                exhausted=IdentitySpaceExhausted.NAMES,
                surname=surname,
            )
        self._bound[surname] += 1
        self._count_free(surname)
        for gender in (_MALE, _FEMALE):
            self._open.pop((surname, gender), None)

    def _key_filled(self, surname: str, last: str) -> None:
        for gender in (_MALE, _FEMALE):
            if last in _LAST_SETS[gender] and (surname, gender) in self._free:
                self._free[surname, gender] -= 1

    def _draw_last(self, surname: str, decade: int, gender: int) -> str:
        for _ in range(_TRIES_BEFORE_ENUMERATING):
            last = self._given(decade, gender, 1)
            if self._usable(surname, last):
                return last
        # Most keys are at the bound: draw from the open ones, dropping those found full (O(1)
        # amortised, where enumerating every last character each time slowed issuing tenfold).
        candidates = self._open.setdefault((surname, gender), list(_LAST[gender]))
        while True:
            index = self._rng.randrange(len(candidates))
            last = candidates[index]
            if self._usable(surname, last):
                return last
            candidates[index] = candidates[-1]
            candidates.pop()

    def _draw_middle(self, surname: str, decade: int, gender: int, last: str) -> str | None:
        for _ in range(_TRIES_BEFORE_ENUMERATING):
            middle = self._given(decade, gender, 0)
            if middle not in (surname, last) and surname + middle + last not in self._used_names:
                return middle
        pool = _ANY_MIDDLE[gender]
        for _ in range(_TRIES_BEFORE_ENUMERATING):
            middle = pool[self._rng.randrange(len(pool))]
            if middle not in (surname, last) and surname + middle + last not in self._used_names:
                return middle
        free = [m for m in pool if m not in (surname, last) and surname + m + last not in self._used_names]
        return self._rng.choice(free) if free else None

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
                f"no unused compound/building/room combination found in {_TOKEN_TRIES} tries",
                exhausted=IdentitySpaceExhausted.ADDRESSES,
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
