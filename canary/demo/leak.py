"""The insider's leak, as the demo plays it: which decoys one node leaks, the scam SMS their
buyers send to the canary numbers (signed as Twilio signs), the dump posted on the forum, and how
far the console has got in noticing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

import requests
from django.conf import settings
from django.urls import reverse
from twilio.request_validator import RequestValidator

from canary.alerts.models import Alert, AlertStatus, Incident
from canary.attribution.models import AttributionSnapshot
from canary.campaigns.models import Campaign, Decoy
from canary.network.models import Node
from canary.phones.models import Contact
from canary.sightings.models import Sighting

SMS_TIMEOUT = 15  # seconds, as Twilio waits for a webhook's answer


class LeakError(Exception):
    """The leak cannot be played as asked; the message says why."""


@dataclass
class Leak:
    campaign: Campaign
    node: Node
    decoys: list[Decoy]  # what the insider took, in the order it is used


def plan(campaign_slug: str, node_code: str, count: int) -> Leak:
    """Up to ``count`` decoys the node saw (its own first), from an active campaign."""
    campaign = Campaign.objects.filter(slug=campaign_slug).first()
    if campaign is None:
        raise LeakError(f"no campaign with slug {campaign_slug!r}")
    node = Node.objects.filter(code=node_code).first()
    if node is None:
        raise LeakError(f"no node with code {node_code!r}")
    seen = Decoy.objects.filter(campaign=campaign, exposures__node=node, is_control=False).distinct()
    decoys = sorted(seen.select_related("number"), key=lambda d: (d.target_id != node.pk, d.pk))[:count]
    if not decoys:
        raise LeakError(f"node {node_code} saw no decoy of campaign {campaign_slug}")
    return Leak(campaign, node, decoys)


def _canary_number(decoy: Decoy) -> str:
    return decoy.number.e164 if decoy.number_id else decoy.recipient_phone


def sms_params(decoy: Decoy, serial: str, rng: random.Random) -> dict[str, str]:
    """A scam SMS to the decoy's canary number, as Twilio posts it: it names the recipient and
    the waybill number bought from the leak ("your parcel was lost, we pay double")."""
    sender = f"+86{rng.choice(('170', '171', '165', '167'))}{rng.randrange(10**8):08d}"
    body = (
        f"【快递理赔】{decoy.recipient_name}您好，您的快递 {decoy.waybill_no} 在运输中丢失，"
        f"我司将双倍赔偿 {max(decoy.declared_value, 100) * 2} 元，请添加客服微信办理。"
    )
    return {
        "MessageSid": f"SMdemo{serial}",
        "AccountSid": "ACdemo0000000000000000000000000000",
        "From": sender,
        "To": _canary_number(decoy),
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "FromCountry": "CN",
    }


def send_sms(params: dict[str, str], token: str) -> int:
    """POST one signed SMS to the console's Twilio hook at ``PUBLIC_BASE_URL``; the HTTP status."""
    url = settings.PUBLIC_BASE_URL + reverse("phones:twilio-sms")
    signature = RequestValidator(token).compute_signature(url, params)
    response = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=SMS_TIMEOUT)
    return response.status_code


def console_answers() -> bool:
    """The console at ``PUBLIC_BASE_URL`` answers HTTP (any status)."""
    try:
        requests.head(settings.PUBLIC_BASE_URL + "/", timeout=5, allow_redirects=False)
    except requests.RequestException:
        return False
    return True


def dump_text(decoys: list[Decoy]) -> str:
    """The records as a seller lists them: a CSV sample of "fresh" waybills."""
    lines = ["运单号,收件人,电话,地址,物品"]
    lines += [
        f"{d.waybill_no},{d.recipient_name},{d.recipient_phone},{d.province}{d.city}{d.recipient_address},"
        f"{d.item_description}"
        for d in decoys
    ]
    return "\n".join(lines)


@dataclass
class Progress:
    contacts: int
    sightings: int
    rank: int | None  # the node's rank in the latest attribution
    leak_set: list[str]  # the most probable leaker(s)
    found: bool  # was ranked first, or one of a joint leak (a node played before still leaks)
    incident: Incident | None
    alerts_sent: int

    @property
    def done(self) -> bool:
        return self.found and self.incident is not None and self.alerts_sent > 0


def progress(leak: Leak, since: datetime, sms_sids: list[str]) -> Progress:
    """How far the console has got: contacts stored, sightings found, ranking, incident, alert.

    The alert that counts is one sent after the node was first ranked first (it names the node),
    not the earlier "new incident, not yet attributed" of the first strong signal.
    """
    ids = [d.pk for d in leak.decoys]
    rank, leak_set, found_at = None, [], None
    snapshots = AttributionSnapshot.objects.filter(campaign=leak.campaign, computed_at__gte=since)
    for snapshot in snapshots.order_by("computed_at", "id"):
        rank = next((row["rank"] for row in snapshot.result["nodes"] if row["node"] == leak.node.code), None)
        leak_set = [m["node"] for m in snapshot.result.get("leak_set", [])]
        if found_at is None and (rank == 1 or (len(leak_set) > 1 and leak.node.code in leak_set)):
            found_at = snapshot.computed_at
    incident = Incident.objects.filter(campaign=leak.campaign, node=leak.node).order_by("-id").first()
    alerts_sent = 0
    if incident is not None and found_at is not None:  # nothing to count before the node is found
        alerts_sent = Alert.objects.filter(
            incident=incident,
            status__in=(AlertStatus.SENT, AlertStatus.DELIVERED),
            event__created_at__gte=found_at,
        ).count()
    return Progress(
        contacts=Contact.objects.filter(provider_sid__in=sms_sids).count(),
        sightings=Sighting.objects.filter(decoy_id__in=ids, created_at__gte=since).count(),
        rank=rank,
        leak_set=leak_set,
        found=found_at is not None,
        incident=incident,
        alerts_sent=alerts_sent,
    )
