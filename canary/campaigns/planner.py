"""Planning a campaign and issuing its decoys with the exposure ledger."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop, pgettext_lazy

from canary.attribution.codebook import CodebookTooSmall, codewords, smallest_weight
from canary.attribution.services import seeding_plan_report
from canary.audit.services import record
from canary.network.models import Node, NodeKind
from canary.phones import pool

from . import numbering, routing, serials, storing
from .decoy_rows import DecoyMaker, PlannedDecoy
from .history import record_transition
from .identities import IdentityFactory, IdentitySpaceExhausted
from .messages import Message, message_of
from .models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
    Decoy,
    LabelTemplate,
    Strategy,
)
from .waybills import Carrier

log = logging.getLogger(__name__)

SLUG = re.compile(r"^[-a-z0-9_]{1,64}$")


class SpecError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class CampaignSpec:
    slug: str
    name: str
    carrier: Carrier
    decoys_per_node: int
    strategy: str
    label_template: str
    starts_at: datetime
    ends_at: datetime
    nodes: list[str] = field(default_factory=list)
    node_kinds: list[str] = field(default_factory=list)
    numbers: int | None = None
    controls: int = 0
    seed: int | None = None
    allow_foreign_numbers: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CampaignSpec:
        """Validate a spec (the JSON of ``create_campaign --spec``), naming every problem."""
        problems: list[str] = []
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            problems.append(Message(gettext_noop("unknown key(s): %(keys)s"), keys=", ".join(unknown)))
        for key in ("slug", "name", "carrier", "decoys_per_node", "strategy", "starts_at", "ends_at"):
            if data.get(key) in (None, ""):
                problems.append(Message(gettext_noop("%(key)s is required"), key=key))
        slug = str(data.get("slug", ""))
        if slug and not SLUG.match(slug):
            problems.append(Message(gettext_noop("slug must be 1-64 lower-case letters, digits, '-' or '_'")))
        carrier = None
        if data.get("carrier"):
            try:
                carrier = Carrier(str(data["carrier"]).lower())
            except ValueError:
                problems.append(
                    Message(
                        gettext_noop("carrier %(carrier)s is not one of %(carriers)s"),
                        carrier=repr(data["carrier"]),
                        carriers=", ".join(c.value for c in Carrier),
                    )
                )
        per_node = data.get("decoys_per_node")
        if per_node is not None and (
            not isinstance(per_node, int) or isinstance(per_node, bool) or per_node < 1
        ):
            problems.append(Message(gettext_noop("decoys_per_node must be a whole number ≥ 1")))
        if data.get("strategy") and data["strategy"] not in Strategy.values:
            problems.append(
                Message(
                    gettext_noop("strategy must be one of %(choices)s"), choices=", ".join(Strategy.values)
                )
            )
        template = data.get("label_template") or LabelTemplate.ONE_PLY
        if template not in LabelTemplate.values:
            problems.append(
                Message(
                    gettext_noop("label_template must be one of %(choices)s"),
                    choices=", ".join(LabelTemplate.values),
                )
            )
        times = {}
        for key in ("starts_at", "ends_at"):
            if data.get(key):
                parsed = _parse_time(str(data[key]))
                if parsed is None:
                    problems.append(
                        Message(
                            gettext_noop("%(key)s %(value)s is not an ISO date or date-time"),
                            key=key,
                            value=repr(data[key]),
                        )
                    )
                times[key] = parsed
        if times.get("starts_at") and times.get("ends_at") and times["ends_at"] <= times["starts_at"]:
            problems.append(Message(gettext_noop("ends_at must be after starts_at")))
        nodes, kinds = list(data.get("nodes") or []), list(data.get("node_kinds") or [])
        if not nodes and not kinds:
            problems.append(Message(gettext_noop("give nodes (a list of node codes) or node_kinds")))
        bad_kinds = [k for k in kinds if k not in NodeKind.values]
        if bad_kinds:
            problems.append(
                Message(
                    gettext_noop("unknown node kind(s) %(kinds)s; one of %(choices)s"),
                    kinds=", ".join(bad_kinds),
                    choices=", ".join(NodeKind.values),
                )
            )
        for key in ("numbers", "controls", "seed"):
            value = data.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                problems.append(Message(gettext_noop("%(key)s must be a whole number ≥ 0"), key=key))
        if not isinstance(data.get("allow_foreign_numbers", False), bool):
            problems.append(Message(gettext_noop("allow_foreign_numbers must be true or false")))
        if problems:
            raise SpecError(problems)
        return cls(
            slug=slug,
            name=str(data["name"]),
            carrier=carrier,
            decoys_per_node=per_node,
            strategy=data["strategy"],
            label_template=template,
            starts_at=times["starts_at"],
            ends_at=times["ends_at"],
            nodes=[str(n) for n in nodes],
            node_kinds=kinds,
            numbers=data.get("numbers"),
            controls=data.get("controls") or 0,
            seed=data.get("seed"),
            allow_foreign_numbers=data.get("allow_foreign_numbers", False),
        )


def _parse_time(value: str) -> datetime | None:
    parsed = parse_datetime(value)
    if parsed is None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        parsed = parse_datetime(value + "T00:00:00")
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)  # the console's zone: Asia/Shanghai
    return parsed


@dataclass
class IssueSummary:
    campaign: Campaign
    targets: int
    decoys: int
    exposures: int
    numbers: int
    codeword_weight: int
    number_plan: numbering.NumberPlan | None = None

    def __str__(self) -> str:
        c = self.campaign
        return (
            f"campaign {c.slug} ({c.get_status_display()}): {self.decoys} decoys for {self.targets} "
            f"target nodes, {self.exposures} exposures, {self.numbers} canary numbers "
            f"(codewords of {self.codeword_weight}; {self.number_plan}), "
            f"carrier {c.carrier}, strategy {c.strategy}, "
            f"{timezone.localtime(c.starts_at):%Y-%m-%d} → {timezone.localtime(c.ends_at):%Y-%m-%d}"
        )


def resolve_targets(spec: CampaignSpec) -> list[Node]:
    nodes = {n.code: n for n in Node.objects.filter(code__in=spec.nodes)}
    missing = [code for code in spec.nodes if code not in nodes]
    if missing:
        raise SpecError(
            [Message(gettext_noop("unknown node code(s): %(codes)s"), codes=", ".join(missing[:20]))]
        )
    for node in Node.objects.filter(kind__in=spec.node_kinds).order_by("code"):
        nodes.setdefault(node.code, node)
    if not nodes:
        raise SpecError([Message(gettext_noop("no node matches the given nodes/node_kinds"))])
    return sorted(nodes.values(), key=lambda n: n.code)


def store_campaign(spec: CampaignSpec, actor: str | None = None, **fields: Any) -> Campaign:
    """The campaign row of a spec (no decoys yet); ``fields`` sets more columns."""
    return Campaign.objects.create(
        slug=spec.slug,
        name=spec.name,
        carrier=spec.carrier.value,
        strategy=spec.strategy,
        decoys_per_node=spec.decoys_per_node,
        label_template=spec.label_template,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        created_by=actor or "",
        **fields,
    )


def slug_taken(slug: str) -> Message:
    return Message(gettext_noop("a campaign with slug %(slug)s already exists"), slug=repr(slug))


def create_campaign(spec: CampaignSpec, actor: str | None = None) -> IssueSummary:
    """Create a draft campaign and issue all its decoys in one transaction."""
    if Campaign.objects.filter(slug=spec.slug).exists():
        raise SpecError([slug_taken(spec.slug)])
    targets = resolve_targets(spec)
    with transaction.atomic():
        campaign = store_campaign(spec, actor)
        summary = issue_decoys(campaign, targets, spec)
        record_transition(campaign, "", CampaignStatus.DRAFT, actor, decoys_issued(summary.decoys))
        record("campaign.create", actor=actor, obj=campaign, decoys=summary.decoys, targets=summary.targets)
    return summary


def load_network() -> routing.Network:
    """The whole node tree in memory, for planning routes."""
    return routing.Network(
        routing.NodeInfo(*row)
        for row in Node.objects.values_list("id", "code", "kind", "parent_id", "province", "city")
    )


def _identities_exhausted(exc: IdentitySpaceExhausted) -> Message:
    if exc.exhausted == IdentitySpaceExhausted.NAMES:
        return Message(
            gettext_noop(
                "every full name with the surname %(surname)s has been issued; no new recipient can be named"
            ),
            surname=exc.surname,
        )
    return Message(gettext_noop("no unused compound, building and room is left for a new recipient address"))


def _codebook(campaign: Campaign, targets: list[Node], spec: CampaignSpec):
    try:
        numbers, plan = numbering.claim(campaign, targets, spec)
    except pool.NumberError as exc:
        raise SpecError([message_of(exc)]) from exc
    max_weight = numbering.max_weight(spec.decoys_per_node)
    try:
        weight = smallest_weight(len(numbers), len(targets), max_weight)
        words = codewords(len(numbers), weight, len(targets))
    except CodebookTooSmall as exc:
        # CodebookTooSmall's own words, kept translatable (its text, should it ever say more).
        why = Message(
            gettext_noop(
                "%(k)s numbers cannot give %(nodes)s nodes distinct sets of at most %(weight)s numbers"
            ),
            k=len(numbers),
            nodes=len(targets),
            weight=max_weight,
        )
        problem = Message(
            gettext_noop(
                "%(numbers)s canary numbers cannot give %(nodes)s nodes distinct number sets: %(why)s"
            ),
            numbers=len(numbers),
            nodes=len(targets),
            why=why if why == str(exc) else str(exc),
        )
        raise SpecError([problem]) from exc
    return numbers, weight, words, plan


def issue_decoys(
    campaign: Campaign,
    targets: list[Node],
    spec: CampaignSpec,
    progress: Callable[[int], None] | None = None,
    writer: storing.Writer | None = None,
) -> IssueSummary:
    """Make every decoy of the campaign: number, recipient, address, item, route, exposures.

    Decoys are made and written batch by batch (memory stays flat at a million); ``progress``
    is told how many decoys are written after each batch. ``writer`` stores them (by default
    the fastest one the database has, see :mod:`canary.campaigns.storing`)."""
    rng = random.Random(spec.seed)
    carrier = spec.carrier
    numbers, weight, words, number_plan = _codebook(campaign, targets, spec)
    factory = IdentityFactory(
        seed=rng.randrange(2**32),
        used_names=Decoy.objects.values_list("recipient_name", flat=True).iterator(),
        used_name_keys=Decoy.objects.values_list("name_key", flat=True).iterator(),
        used_address_tokens=Decoy.objects.values_list("address_token", flat=True).iterator(),
    )
    total = len(targets) * spec.decoys_per_node + spec.controls
    serial_list = serials.claim_serials(carrier, total, rng)
    # Consecutive numbers must not line up with depots, or an insider who knows one decoy
    # could guess its neighbours: hand them out in shuffled order.
    rng.shuffle(serial_list)

    CampaignTarget.objects.bulk_create(
        CampaignTarget(campaign=campaign, node=node, codeword=[numbers[i].e164 for i in sorted(word)])
        for node, word in zip(targets, words, strict=True)
    )
    maker = DecoyMaker(
        campaign_id=campaign.pk,
        carrier=carrier,
        strategy=spec.strategy,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        numbers=numbers,
        net=load_network(),
        factory=factory,
        rng=rng,
    )
    planned = _planned_decoys(targets, words, spec, len(numbers))
    made = (maker.make(slot, serial) for slot, serial in zip(planned, serial_list, strict=True))
    write = writer or storing.writer_for_database()
    try:
        stored = write(made, total, progress)
    except IdentitySpaceExhausted as exc:
        raise SpecError([_identities_exhausted(exc)]) from exc
    return IssueSummary(
        campaign, len(targets), stored.decoys, stored.exposures, len(numbers), weight, number_plan
    )


def _planned_decoys(
    targets: list[Node], words: list, spec: CampaignSpec, numbers: int
) -> Iterator[PlannedDecoy]:
    """The plan in issuing order: each target's decoys, then the controls."""
    for node, word in zip(targets, words, strict=True):
        members = sorted(word)
        for k in range(spec.decoys_per_node):
            yield PlannedDecoy(node.id, members, k)
    for k in range(spec.controls):
        yield PlannedDecoy(None, [k % numbers], 0)


def decoys_issued(count: int) -> Message:
    """The status-history reason of a finished issue."""
    return Message(gettext_noop("%(count)s decoys issued"), count=count)


# A status as a word inside a sentence ("campaign x is active, …"): English in the text, translated
# in the console.
STATUS_WORDS = {
    CampaignStatus.ISSUING: pgettext_lazy("campaign status", "issuing"),
    CampaignStatus.FAILED: pgettext_lazy("campaign status", "failed"),
    CampaignStatus.DRAFT: pgettext_lazy("campaign status", "draft"),
    CampaignStatus.ACTIVE: pgettext_lazy("campaign status", "active"),
    CampaignStatus.ENDED: pgettext_lazy("campaign status", "ended"),
    CampaignStatus.ARCHIVED: pgettext_lazy("campaign status", "archived"),
}


def _wrong_status(campaign: Campaign, template: str) -> Message:
    return Message(template, slug=campaign.slug, status=STATUS_WORDS.get(campaign.status, campaign.status))


def activate(campaign: Campaign, actor: str | None = None) -> Campaign:
    """draft → active. Refuses any other state."""
    won = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT).update(
        status=CampaignStatus.ACTIVE, activated_at=timezone.now()
    )
    campaign.refresh_from_db()
    if not won:
        raise SpecError(
            [
                _wrong_status(
                    campaign, gettext_noop("campaign %(slug)s is %(status)s, only a draft can be activated")
                )
            ]
        )
    record_transition(campaign, CampaignStatus.DRAFT, CampaignStatus.ACTIVE, actor)
    _store_plan_report(campaign)
    record("campaign.activate", actor=actor, obj=campaign)
    return campaign


def _store_plan_report(campaign: Campaign) -> None:
    """Check the seeding plan (confusable targets, expected top-1 accuracy) into ``plan_report``.

    A report only: a failure here is logged and never keeps a campaign from starting.
    """
    try:
        report = seeding_plan_report(campaign)
    except Exception:
        log.exception("could not check the seeding plan of campaign %s", campaign.slug)
        return
    Campaign.objects.filter(pk=campaign.pk).update(plan_report=report)
    campaign.plan_report = report


def end(campaign: Campaign, actor: str | None = None) -> Campaign:
    """active → ended; its numbers go to quarantine (late calls still arrive)."""
    with transaction.atomic():
        won = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.ACTIVE).update(
            status=CampaignStatus.ENDED, ended_at=timezone.now()
        )
        campaign.refresh_from_db()
        if not won:
            raise SpecError(
                [
                    _wrong_status(
                        campaign, gettext_noop("campaign %(slug)s is %(status)s, only an active one can end")
                    )
                ]
            )
        pool.release_numbers(campaign)
        record_transition(campaign, CampaignStatus.ACTIVE, CampaignStatus.ENDED, actor)
        record("campaign.end", actor=actor, obj=campaign)
    return campaign


def archive(campaign: Campaign, actor: str | None = None) -> Campaign:
    """ended → archived."""
    won = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.ENDED).update(
        status=CampaignStatus.ARCHIVED
    )
    campaign.refresh_from_db()
    if not won:
        raise SpecError(
            [
                _wrong_status(
                    campaign,
                    gettext_noop("campaign %(slug)s is %(status)s, only an ended one can be archived"),
                )
            ]
        )
    record_transition(campaign, CampaignStatus.ENDED, CampaignStatus.ARCHIVED, actor)
    record("campaign.archive", actor=actor, obj=campaign)
    return campaign
