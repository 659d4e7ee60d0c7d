"""The whole loop in a real browser (headless Chromium + Playwright): network import through the
preview, the campaign wizard with the plan quality before issuing, labels and order files,
activation, a dump with a decoy showing up on the open campaign page without a reload, the alert
reaching a webhook, the incident worked to closed with its case file, a viewer who sees the
ranking but no decoy identity, and the language switch. Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from canary.alerts.models import Channel, Incident, Rule, Team
from canary.audit.models import AuditEvent
from canary.audit.roles import VIEWER
from canary.campaigns.models import Campaign, CampaignStatus
from tests.alerts.conftest import receiver  # noqa: F401 - the local webhook receiver fixture
from tests.conftest import DEMO, security_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 7"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LEAKER = "D-HZ-XH"
SLUG = "east-depots"
WAIT = 30_000  # ms: the campaign page polls every 5 s


@pytest.fixture
def alerting(settings, receiver):  # noqa: F811 - the imported fixture
    """Loopback targets allowed (the receiver is local) and a team to own the channel."""
    settings.ALLOW_LOOPBACK_TARGETS = True
    settings.ALERTS_RETRY_JITTER = False
    Team.objects.create(name="安全组")
    return receiver


def add_webhook_channel(page, base: str, url: str) -> None:
    """A webhook channel and a rule sending it every event, through the console's forms."""
    page.goto(f"{base}/alerts/channels/add/")
    page.select_option("#id_team", label="安全组")
    page.fill("#id_name", "值班")
    page.select_option("#id_kind", "webhook")
    page.fill("#id_target", url)
    page.fill("#id_secret", "webhook-signing-secret")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    channel = Channel.objects.get(name="值班")
    page.goto(f"{base}/alerts/rules/add/")
    page.fill("#id_name", "全部事件")
    page.select_option("#id_channels", str(channel.pk))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert Rule.objects.filter(name="全部事件", channels=channel).exists()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def login(page, live_server, username: str):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def dump_of(campaign: Campaign, code: str) -> bytes:
    """A bought dump: ordinary-looking rows, three of them the node's decoys."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["运单号", "收件人", "电话", "地址"])
    writer.writerow(["SF1000000000001", "李明", "13800000000", "北京市朝阳区建国路1号"])
    for decoy in campaign.decoys.filter(target__code=code):
        writer.writerow(
            [decoy.waybill_no, decoy.recipient_name, decoy.recipient_phone, decoy.recipient_address]
        )
    return out.getvalue().encode("utf-8")


def test_the_whole_loop_in_the_console(live_server, page, browser, numbers, alerting, tmp_path):
    security_user("analyst", password=PASSWORD)
    security_user("viewer", role=VIEWER, password=PASSWORD)
    base = live_server.url
    login(page, live_server, "analyst")

    # Network: upload, preview (nothing written yet), confirm.
    page.goto(f"{base}/network/import/")
    page.set_input_files("#network-file", str(DEMO / "network.csv"))
    with page.expect_navigation():
        page.click("#network-file ~ button[type=submit]")
    new = int(page.inner_text("#count-new"))
    assert new > 20 and page.inner_text("#count-changed") == "0"
    shot(page, "network-import")
    with page.expect_navigation():
        page.click("button[name=confirm]")
    assert page.url == f"{base}/network/" and LEAKER in page.content()
    shot(page, "network")

    # Wizard: every depot, route-free isolated seeding; the plan quality shows before issuing.
    page.goto(f"{base}/campaigns/new/")
    page.fill("#id_name", "华东网点测试")
    page.fill("#id_slug", SLUG)
    page.check("input[name=node_kinds][value=depot]")
    page.fill("#id_decoys_per_node", "3")
    page.fill("#id_starts_at", "2026-11-01")
    page.fill("#id_ends_at", "2027-02-01")
    page.fill("#node-search", "西湖")
    assert page.is_hidden("li[data-search^='d-sh-pd']") and page.is_visible("li[data-search^='d-hz-xh']")
    with page.expect_navigation():
        page.click("button[value=preview]")
    assert float(page.inner_text("#expected-top1")) > 0.8
    assert not Campaign.objects.exists()
    shot(page, "campaign-wizard-preview")
    with page.expect_navigation():
        page.click("#issue")
    page.wait_for_selector("#activate", timeout=WAIT)  # issued in the background, then reloaded
    campaign = Campaign.objects.get(slug=SLUG)
    assert campaign.decoys.count() == 3 * 8

    # Labels for one node and an order file; then activate.
    page.select_option("select[name=node]", LEAKER)
    with page.expect_download() as labels:
        page.click("#download-labels")
    assert Path(labels.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as orders:
        page.click("#orders-csv")
    assert len(Path(orders.value.path()).read_text(encoding="utf-8-sig").splitlines()) == 1 + 24
    with page.expect_navigation():
        page.click("#activate")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE

    add_webhook_channel(page, base, f"{alerting.url}/hook")

    # A bought dump with the depot's decoys: the open campaign page fills in by itself.
    watching = browser.new_context(locale="zh-CN", storage_state=page.context.storage_state()).new_page()
    watching.goto(f"{base}/campaigns/{SLUG}/")
    assert watching.locator(f"#ranking tr[data-node='{LEAKER}']").count() == 0
    dump = tmp_path / "bought.csv"
    dump.write_bytes(dump_of(campaign, LEAKER))
    page.goto(f"{base}/sightings/upload/")
    page.set_input_files("input[type=file]", str(dump))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    watching.wait_for_selector(f"#ranking tr[data-node='{LEAKER}']", timeout=WAIT)
    watching.wait_for_selector("#incidents a", timeout=WAIT)
    assert watching.locator("#signals tbody tr").count() >= 1
    assert watching.inner_text("#ranking tbody tr:first-child td:nth-child(2)").startswith(LEAKER)
    shot(watching, "campaign")
    watching.goto(f"{base}/")
    watching.wait_for_selector("[data-chart=signals-per-day] svg", timeout=WAIT)  # drawn by ECharts
    shot(watching, "dashboard")
    watching.context.close()  # it polls; stop it before the test database goes

    # The alert reached the webhook.
    assert alerting.arrived.wait(timeout=30)
    assert any(r.path == "/hook" for r in alerting.requests)

    # Work the incident: acknowledge, close, case file.
    incident = Incident.objects.get(campaign=campaign)
    page.goto(f"{base}/alerts/incidents/{incident.pk}/")
    with page.expect_navigation():
        page.click("form:has(input[value=acknowledge]) button")
    with page.expect_navigation():
        page.click("form:has(input[name=verdict][value=confirmed]) button")
    incident.refresh_from_db()
    assert incident.state == "closed"
    with page.expect_navigation():
        page.click("form:has(input[value=case_file]) button")
    link = page.wait_for_selector("a[href$='/download/']", timeout=WAIT)
    with page.expect_download() as case_file:
        link.click()
    assert Path(case_file.value.path()).read_bytes().startswith(b"PK")
    shot(page, "incident")

    # A viewer: the ranking, and not one decoy identity on any page; exports refused and audited.
    secrets = [
        value
        for row in campaign.decoys.values_list("recipient_name", "recipient_phone", "waybill_no")
        for value in row
    ]
    viewer = browser.new_context(locale="zh-CN").new_page()
    login(viewer, live_server, "viewer")
    pages = [
        "/",
        "/network/",
        f"/network/nodes/{LEAKER}/",
        f"/attribution/{SLUG}/",
        "/alerts/",
        f"/alerts/incidents/{incident.pk}/",
    ]
    for path in pages:
        response = viewer.goto(f"{base}{path}")
        assert response.status == 200, path
        html = viewer.content()
        assert not [s for s in secrets if s in html], path
    viewer.goto(f"{base}/attribution/{SLUG}/")
    assert viewer.locator(f"#ranking tr[data-node='{LEAKER}']").count() == 1
    shot(viewer, "attribution-viewer")
    for path in ("/network/export.csv", f"/campaigns/{SLUG}/labels.pdf", f"/campaigns/{SLUG}/orders.csv"):
        assert viewer.goto(f"{base}{path}").status == 403, path
    assert AuditEvent.objects.filter(action="access.denied", actor="viewer").count() >= 3

    # Language switch.
    viewer.goto(f"{base}/attribution/{SLUG}/")
    with viewer.expect_navigation():
        viewer.select_option("select[name=language]", "en")
    assert viewer.locator("html").get_attribute("lang") == "en"
    assert "Suspected nodes" in viewer.content()
    viewer.context.close()
