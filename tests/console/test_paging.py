"""Console lists at national scale: keyset pages, counts that are not recounted per view, and the
network tree drawn a few levels deep with its branches fetched on opening."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.http import QueryDict
from django.utils import timezone

from canary.audit.models import AuditEvent
from canary.audit.roles import VIEWER
from canary.campaigns.models import CampaignTarget, Exposure
from canary.campaigns.sizes import campaign_sizes, decoy_counts
from canary.console.models import SeenCount
from canary.keyset import encode_cursor, keyset_page
from canary.network.models import Node
from canary.phones.models import Contact
from tests.conftest import security_user


@pytest.fixture
def viewer(client, db):
    """The test client logged in as a viewer (no decoy identities)."""
    client.force_login(security_user("viewer", role=VIEWER))
    return client


NOW = timezone.now()
NEXT = re.compile(r'href="([^"]*after=[^"]*)" rel="next"')
PREVIOUS = re.compile(r'href="([^"]*before=[^"]*)" rel="prev"')


def _events(db, count: int, same_time_from: int) -> list[int]:
    """``count`` audit events; from the ``same_time_from``-th on they share one time."""
    now = timezone.now()
    ids = [AuditEvent.objects.create(actor="a", action="x").pk for _ in range(count)]
    for n, pk in enumerate(ids):
        at = now if n >= same_time_from else now - timedelta(minutes=count - n)
        AuditEvent.objects.filter(pk=pk).update(at=at)
    return list(AuditEvent.objects.order_by("-at", "-id").values_list("id", flat=True))


def test_keyset_pages_walk_every_row_once_in_order_when_times_are_equal(db):
    expected = _events(db, 8, same_time_from=3)
    seen, params, pages = [], QueryDict(), []
    while True:
        page = keyset_page(AuditEvent.objects.all(), ("-at", "-id"), params, 3)
        pages.append([e.pk for e in page])
        seen += pages[-1]
        if not page.has_next:
            break
        params = QueryDict(f"after={page.next_cursor}")
    assert seen == expected and [len(p) for p in pages] == [3, 3, 2]


def test_previous_cursors_walk_back_to_the_same_pages(db):
    _events(db, 8, same_time_from=3)
    forward = [keyset_page(AuditEvent.objects.all(), ("-at", "-id"), QueryDict(), 3)]
    while forward[-1].has_next:
        params = QueryDict(f"after={forward[-1].next_cursor}")
        forward.append(keyset_page(AuditEvent.objects.all(), ("-at", "-id"), params, 3))
    backward = [forward[-1]]
    while backward[-1].has_previous:
        params = QueryDict(f"before={backward[-1].previous_cursor}")
        backward.append(keyset_page(AuditEvent.objects.all(), ("-at", "-id"), params, 3))
    assert [[e.pk for e in p] for p in backward[::-1]] == [[e.pk for e in p] for p in forward]


def test_a_cursor_that_does_not_parse_gives_the_first_page(db):
    expected = _events(db, 5, same_time_from=5)
    page = keyset_page(AuditEvent.objects.all(), ("-at", "-id"), QueryDict("after=not-a-cursor"), 3)
    assert [e.pk for e in page] == expected[:3] and not page.has_previous


def test_contact_pages_follow_next_links_to_the_end_with_the_filter_kept(campaign, analyst):
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(
            provider="twilio",
            provider_sid=f"SM{n}",
            kind="sms",
            to_number="+8613900139299",
            received_at=now - timedelta(seconds=n // 2),  # pairs share a time
        )
        for n in range(120)
    )
    expected = list(Contact.objects.order_by("-received_at", "-id").values_list("id", flat=True))
    seen, url = [], "/contacts/?state=pending"
    while url:
        response = analyst.get(url)
        seen += [c.pk for c in response.context["page"]]
        found = NEXT.search(response.content.decode())
        url = "/contacts/" + unescape(found.group(1)) if found else None
        assert url is None or "state=pending" in url
    assert seen == expected


def test_a_deep_decoy_page_starts_after_its_cursor(campaign, analyst):
    decoys = list(campaign.decoys.order_by("id"))
    cursor = encode_cursor([decoys[9].pk])
    page = analyst.get(f"/campaigns/{campaign.slug}/decoys/?after={cursor}").context["page"]
    assert [d.pk for d in page] == [d.pk for d in decoys[10:60]]


def test_the_page_before_a_deep_decoy_page_ends_just_before_it(campaign, analyst):
    decoys = list(campaign.decoys.order_by("id"))
    cursor = encode_cursor([decoys[12].pk])
    page = analyst.get(f"/campaigns/{campaign.slug}/decoys/?before={cursor}").context["page"]
    assert [d.pk for d in page] == [d.pk for d in decoys[:12]]


def test_incidents_are_listed_in_pages_of_fifty(viewer, campaign):
    from canary.alerts.models import Incident

    now = timezone.now()
    Incident.objects.bulk_create(
        Incident(title=f"i{n}", campaign=campaign, opened_at=now, last_activity_at=now, snapshot={})
        for n in range(51)
    )
    response = viewer.get("/alerts/")
    assert len(response.context["incidents"]) == 50 and NEXT.search(response.content.decode())


def test_decoy_counts_match_the_decoys(campaign):
    assert decoy_counts([campaign]) == {campaign.pk: campaign.decoys.count()}


def test_exposures_of_a_big_campaign_are_estimated_and_marked_approximate(campaign):
    exact = campaign_sizes(campaign)
    estimated = campaign_sizes(campaign, exact_up_to=0)
    assert (
        not exact.exposures_approximate
        and exact.exposures == Exposure.objects.filter(decoy__campaign=campaign).count()
    )
    # Isolated strategy: one exposure per exposed decoy, so the sample's rate is exact.
    assert estimated.exposures_approximate and estimated.exposures == exact.exposures


def test_the_network_tree_shows_decoys_seen_from_the_stored_tally(viewer, campaign):
    viewer.get("/network/")  # asks for the tally (run in-process here: no broker in tests)
    node = campaign.decoys.first().target
    stored = SeenCount.objects.get(tally__campaign=campaign, node=node).decoys
    assert stored == Exposure.objects.filter(node=node).values("decoy").distinct().count() > 0
    page = viewer.get("/network/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"saw {stored} decoy" in page and "still being counted" not in page


def big_network() -> tuple[Node, Node]:
    """HQ → 2 regions → 20 hubs → 200 depots → 1,800 couriers (2,023 nodes); a depot and a courier."""
    hq = Node.objects.create(code="BIG-HQ", name="总部", kind="hq")
    level = [hq]
    for kind, per_parent in (("region", 2), ("hub", 10), ("depot", 10), ("courier", 9)):
        rows = [
            Node(code=f"BIG-{kind}-{p.pk}-{n}", name=kind, kind=kind, parent=p)
            for p in level
            for n in range(per_parent)
        ]
        Node.objects.bulk_create(rows)
        level = list(Node.objects.filter(kind=kind, code__startswith="BIG-"))
    courier = Node.objects.filter(kind="courier", code__startswith="BIG-").select_related("parent").first()
    return courier.parent, courier


def test_abig_network_is_drawn_three_levels_deep(viewer):
    depot, courier = big_network()
    page = viewer.get("/network/").content.decode()
    hub = depot.parent
    assert hub.code in page and depot.code not in page and courier.code not in page
    assert f"?under={hub.code}" in page


def test_a_branch_of_abig_network_is_fetched_when_opened(viewer):
    depot, courier = big_network()
    branch = viewer.get(f"/network/?under={depot.code}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert courier.code in branch and "<html" not in branch


def test_a_contact_names_ten_matched_decoys_and_counts_the_rest(campaign, analyst):
    decoys = list(campaign.decoys.order_by("id")[:12])
    contact = Contact.objects.create(
        provider="twilio", provider_sid="SM1", kind="sms", to_number="+8613900139299", received_at=NOW
    )
    contact.matched_decoys.set(decoys)
    page = analyst.get("/contacts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert all(d.waybill_no in page for d in decoys[:10]) and decoys[10].waybill_no not in page
    assert "and 2 more" in page


def test_a_campaign_with_many_targets_lists_two_hundred_and_asks_for_a_node_code(campaign, analyst):
    big_network()
    depots = Node.objects.filter(kind="depot", code__startswith="BIG-")
    CampaignTarget.objects.bulk_create(CampaignTarget(campaign=campaign, node=node) for node in depots)
    page = analyst.get(f"/campaigns/{campaign.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    total = campaign.campaign_targets.count()
    assert f"The first 200 of {total} target nodes" in page and '<input name="node"' in page
    decoys = analyst.get(f"/campaigns/{campaign.slug}/decoys/").content.decode()
    assert '<input name="node"' in decoys and "<option value=" not in decoys.split('name="node"')[1][:50]
