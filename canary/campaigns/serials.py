"""Claiming waybill serials from a carrier's reserved block."""

from __future__ import annotations

import random
import secrets

from django.conf import settings
from django.db import transaction

from .models import WaybillCursor
from .waybills import DEFAULT_RESERVED_BLOCKS, Carrier, serial_range

# Decoys take one serial in SPARSITY from their claimed run, so decoy numbers are not a dense
# run an insider could walk; the block's cursor also starts at a random point inside it, so
# the first numbers do not show a tell-tale run of zeros.
SPARSITY = 3


class BlockExhausted(ValueError):
    pass


def reserved_block(carrier: Carrier) -> tuple[int, int]:
    """The configured block for a carrier (settings override the built-in default)."""
    configured = settings.WAYBILL_RESERVED_BLOCKS.get(carrier.value)
    first, last = configured if configured else DEFAULT_RESERVED_BLOCKS[carrier]
    low, high = serial_range(carrier)
    if not (low <= first <= last <= high):
        raise ValueError(
            f"reserved block {first}-{last} for {carrier.value} is outside the format's {low}-{high}"
        )
    return int(first), int(last)


def claim_serials(carrier: Carrier, count: int, rng: random.Random | None = None) -> list[int]:
    """``count`` serials, sampled from a run claimed in the block (sorted ascending).

    The run is claimed with a compare-and-set UPDATE, so concurrent claims never overlap.
    """
    rng = rng or random.Random()
    run = _claim_run(carrier, count * SPARSITY)
    return sorted(rng.sample(run, count))


def _claim_run(carrier: Carrier, count: int) -> range:
    first, last = reserved_block(carrier)
    with transaction.atomic():
        WaybillCursor.objects.get_or_create(
            carrier=carrier.value,
            defaults={
                "first_serial": first,
                "last_serial": last,
                "next_serial": first + secrets.randbelow(max(1, (last - first) // 10)),
            },
        )
    for _attempt in range(50):
        cursor = WaybillCursor.objects.get(carrier=carrier.value)
        start = cursor.next_serial
        if start + count - 1 > cursor.last_serial:
            raise BlockExhausted(
                f"the reserved {carrier.value} block has {cursor.remaining} numbers left, {count} needed"
            )
        won = WaybillCursor.objects.filter(pk=cursor.pk, next_serial=start).update(next_serial=start + count)
        if won:
            return range(start, start + count)
    raise BlockExhausted(f"could not claim {carrier.value} serials: too much contention")
