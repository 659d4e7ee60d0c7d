"""One issued decoy as plain column values and its exposures, made from the seeding plan.

Issuing makes up to a million of these in one go: tuples in :data:`DECOY_FIELDS` order cost a
fraction of ``Decoy`` instances, and :mod:`canary.campaigns.storing` writes them with COPY or
``bulk_create``. Every random draw happens in the same order as it always has, so a seed still
gives the same campaign.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from . import routing
from .identities import IdentityFactory
from .masking import mask_phone
from .waybills import Carrier, format_waybill

# The columns a decoy is issued with; the rest (id, created_at, label_printed) are set on insert.
DECOY_FIELDS = (
    "campaign_id",
    "target_id",
    "waybill_no",
    "carrier",
    "recipient_name",
    "name_key",
    "recipient_phone",
    "number_id",
    "province",
    "city",
    "recipient_address",
    "address_token",
    "item_category",
    "item_description",
    "declared_value",
    "weight_kg",
    "sender_name",
    "sender_phone",
    "sender_address",
    "sort_code",
    "origin_id",
    "destination_id",
    "shipped_at",
    "is_control",
)

_SENDER_PLACES = ["浙江省杭州市余杭区", "广东省广州市白云区", "江苏省苏州市吴中区", "福建省泉州市晋江市"]


class PlannedDecoy(NamedTuple):
    """A slot of the plan: the target (``None`` for a control), its codeword, the decoy's index."""

    target_id: int | None
    members: Sequence[int]
    index: int


class MadeDecoy(NamedTuple):
    values: tuple  # in DECOY_FIELDS order
    hops: list[routing.Hop]


class DecoyMaker:
    """Makes the decoys of one campaign; keeps per-node answers (sort codes, sender addresses)."""

    def __init__(
        self,
        *,
        campaign_id: int,
        carrier: Carrier,
        strategy: str,
        starts_at: datetime,
        ends_at: datetime,
        numbers: Sequence,
        net: routing.Network,
        factory: IdentityFactory,
        rng: random.Random,
    ) -> None:
        self.campaign_id = campaign_id
        self.carrier = carrier
        self.strategy = strategy
        self.starts_at, self.ends_at = starts_at, ends_at
        self.numbers = [(n.id, n.e164) for n in numbers]
        self.net, self.factory, self.rng = net, factory, rng
        self._node_ids = list(net.nodes)
        self._sort_codes: dict[tuple[int | None, int | None], str] = {}
        self._sender_addresses: dict[int, str] = {}

    def make(self, planned: PlannedDecoy, serial: int) -> MadeDecoy:
        net, rng, factory = self.net, self.rng, self.factory
        number_id, phone = self.numbers[planned.members[planned.index % len(planned.members)]]
        shipped_at = routing.ship_time(self.starts_at, self.ends_at, rng)
        target_id = planned.target_id
        if target_id is None:  # control: issued like any other decoy, shown to nobody
            route = None
            hops: list[routing.Hop] = []
            # rng.choice(list(net.nodes)) draws exactly this, without a list per control.
            place_id = self._node_ids[rng.randrange(len(self._node_ids))] if self._node_ids else None
        else:
            route, hops = routing.seed_exposures(net, target_id, self.strategy, shipped_at, self.ends_at, rng)
            place_id = (route.destination_id if route else None) or target_id
        province, city = net.place(place_id) if place_id else ("", "")
        recipient = factory.recipient()
        address = factory.address(province or "上海市", city or "上海市")
        item = factory.item()
        weight = Decimal(f"{rng.uniform(0.2, 4.5):.2f}")
        sender_name = factory.person_name()
        # Merchants' platform labels mask the sender's number; a masked random mobile can never
        # ring a real person.
        sender_phone = mask_phone(f"1{rng.choice('3578')}{rng.randrange(10**9):09d}")
        merchant_id = route.merchant_id if route else None
        sender_address = self._sender_address(merchant_id)
        destination_id = route.destination_id if route else place_id
        values = (
            self.campaign_id,
            target_id,
            format_waybill(self.carrier, serial),
            self.carrier.value,
            recipient.name,
            recipient.name_key,
            phone,
            number_id,
            address.province,
            address.city,
            address.full,
            address.token,
            item.category,
            item.description,
            item.declared_value,
            weight,
            sender_name,
            sender_phone,
            sender_address,
            self._sort_code(destination_id, route.courier_id if route else None),
            route.origin_id if route else None,
            destination_id,
            shipped_at,
            target_id is None,
        )
        return MadeDecoy(values, hops)

    def _sort_code(self, destination_id: int | None, courier_id: int | None) -> str:
        key = (destination_id, courier_id)
        if key not in self._sort_codes:
            self._sort_codes[key] = routing.sort_code(self.net, destination_id, courier_id)
        return self._sort_codes[key]

    def _sender_address(self, merchant_id: int | None) -> str:
        if merchant_id is None or merchant_id not in self.net.nodes:
            return self.rng.choice(_SENDER_PLACES)
        if merchant_id not in self._sender_addresses:
            merchant = self.net.nodes[merchant_id]
            province, city = self.net.place(merchant_id)
            warehouse = f"{province}{city}{merchant.code[-3:]}号仓" if city else merchant.code
            self._sender_addresses[merchant_id] = warehouse
        return self._sender_addresses[merchant_id]
