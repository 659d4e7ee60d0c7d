"""API lists page by cursor: every row once, in a stable order, however deep."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from canary.phones.models import Contact


def contacts(count: int) -> list[int]:
    """``count`` contacts, three at a time sharing one received time; ids newest first."""
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(provider="twilio", provider_sid=f"SM{n}", kind="sms", to_number="+8613900139299",
                received_at=now - timedelta(seconds=n // 3))
        for n in range(count)
    )  # fmt: skip
    return list(Contact.objects.order_by("-received_at", "-id").values_list("id", flat=True))


def walk(client, url: str, link: str) -> list[list[int]]:
    pages = []
    while url:
        body = client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body[link]
    return pages


def test_next_links_give_every_contact_once_newest_first(api):
    expected = contacts(11)
    pages = walk(api("analyst"), "/api/v1/contacts/?page_size=2", "next")
    assert [pk for page in pages for pk in page] == expected and len(pages) == 6


def test_previous_links_walk_back_over_every_contact_once(api):
    contacts(11)
    forward = walk(api("analyst"), "/api/v1/contacts/?page_size=2", "next")
    last = api("analyst").get("/api/v1/contacts/?page_size=2").json()
    while last["next"]:
        url = last["next"]
        last = api("analyst").get(url).json()
    backward = walk(api("analyst"), url, "previous")
    # The pages may be cut differently on the way back; the rows are the same, once each.
    assert [pk for page in backward[::-1] for pk in page] == [pk for page in forward for pk in page]


def test_a_page_deep_in_the_list_has_no_count_and_links_both_ways(api):
    contacts(11)
    client = api("analyst")
    third = client.get(client.get(client.get("/api/v1/contacts/?page_size=2").json()["next"]).json()["next"])
    body = third.json()
    assert set(body) == {"next", "previous", "results"} and body["next"] and body["previous"]


def test_a_signal_lists_the_waybill_numbers_of_its_decoys_by_decoy_id(api, campaign):
    from canary.attribution.signals import record_signal

    decoys = list(campaign.decoys.filter(is_control=False).order_by("-id")[:4])
    record_signal(
        kind="sms",
        decoy_ids=[d.pk for d in decoys],
        seen_at=campaign.starts_at,
        strength=0.9,
        dedupe_key="sms:1",
        origin="test",
    )
    (listed,) = api("analyst").get("/api/v1/signals/").json()["results"]
    detail = api("analyst").get(f"/api/v1/signals/{listed['id']}/").json()
    expected = [d.waybill_no for d in sorted(decoys, key=lambda d: d.pk)]
    assert listed["decoys"] == detail["decoys"] == expected
