"""Sample text the literal automata are laid out by. Pure: no Django.

daachorse can place the automaton's most visited states next to each other when it is built
with a sample of the text it will search ("corpus"). A dump is mostly Chinese waybill records:
names, addresses, goods, phone and waybill numbers. Records made by the identity factory, with a
fixed seed, stand in for them; nothing is read from outside. Measured with ``bench/matcher.py``
(``docs/BENCHMARKS.md``): the UTF-8 literal search runs about 15 % faster for 0.2 s more build
time (and 0.3 s once per process to make the sample).
"""

from __future__ import annotations

import random
from functools import cache

from canary.campaigns import identity_data
from canary.campaigns.identities import IdentityFactory
from canary.campaigns.waybills import Carrier, format_waybill, serial_range

SAMPLE_RECORDS = 2_000
_SEED = 15


@cache
def sample_text(encoding: str) -> bytes:
    """About 300 KB of upper-cased waybill records in ``encoding``, the same in every process."""
    rng = random.Random(_SEED)
    factory = IdentityFactory(seed=_SEED)
    cities = list(identity_data.CITY_DISTRICTS)
    carriers = list(Carrier)
    lines = []
    for _ in range(SAMPLE_RECORDS):
        carrier = rng.choice(carriers)
        city = rng.choice(cities) + "市"
        low, high = serial_range(carrier)
        lines.append(
            ",".join(
                (
                    format_waybill(carrier, rng.randint(low, high)),
                    factory.person_name(),
                    f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                    factory.address(city, city).full,
                    factory.item().description,
                    f"{rng.randint(5, 3000)}.{rng.randint(0, 99):02d}",
                )
            )
        )
    return "\n".join(lines).encode(encoding, "replace").upper()
