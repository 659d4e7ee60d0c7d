"""The console in a real browser (headless Chromium driven by Playwright)."""

import pytest
from django.contrib.auth.models import User

from canary.audit.models import AuditEvent
from tests.conftest import security_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 7"


@pytest.fixture
def analyst(db):
    return security_user("analyst", password=PASSWORD)


@pytest.fixture
def depot_clerk(db):
    return User.objects.create_user("clerk", password=PASSWORD)


def test_analyst_sees_campaign_and_decoys_in_chinese(campaign, analyst, login, live_server, tmp_path):
    page = login("analyst", PASSWORD)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with page.expect_navigation():
        page.click("header a[href='/campaigns/']")
    with page.expect_navigation():
        page.click(f"a[href='/campaigns/{campaign.slug}/']")
    assert campaign.name in page.content()
    with page.expect_navigation():
        page.click(f"a[href='/campaigns/{campaign.slug}/decoys/']")
    first = campaign.decoys.order_by("id").first()
    assert first.waybill_no in page.content()
    page.screenshot(path=str(tmp_path / "decoys.png"))
    assert AuditEvent.objects.filter(action="decoys.view", actor="analyst").exists()


def test_console_speaks_chinese_when_no_language_is_chosen(campaign, analyst, login):
    page = login("analyst", PASSWORD)
    assert "django_language" not in {cookie["name"] for cookie in page.context.cookies()}
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.inner_text("header a[href='/campaigns/']") == "活动"
    assert page.inner_text("main h1") == "概览"
    assert page.title() == "金丝雀面单"
    assert "Campaigns" not in page.content()


def test_language_switch_to_english(campaign, analyst, login):
    page = login("analyst", PASSWORD)
    # The select submits its form on change; wait for that navigation, not the current page.
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.inner_text("header a[href='/campaigns/']") == "Campaigns"
    assert page.inner_text("main h1") == "Overview"


def test_user_without_security_role_never_sees_decoys(campaign, depot_clerk, login, live_server):
    page = login("clerk", PASSWORD)
    assert campaign.decoys.first().waybill_no not in page.content()
    response = page.goto(f"{live_server.url}/campaigns/{campaign.slug}/decoys/")
    assert response.status == 403
    assert campaign.decoys.first().waybill_no not in page.content()


def test_wrong_password_is_refused(analyst, login):
    page = login("analyst", "wrong")
    assert "/accounts/login/" in page.url


def test_an_analyst_creates_a_token_sees_it_once_and_revokes_it(analyst, login, live_server, client):
    from canary.api.models import ApiToken

    page = login("analyst", PASSWORD)
    with page.expect_navigation():
        page.click("header a[href='/tokens/']")
    assert page.inner_text("main h1") == "API 令牌"
    page.fill("input[name=name]", "值班脚本")
    page.select_option("select[name=scope]", "analyst")
    with page.expect_navigation():
        page.click("main form.card button[type=submit]")
    key = page.inner_text("#new-token")
    assert client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200

    page.reload()
    assert key not in page.content()  # shown only once
    with page.expect_navigation():
        page.click("main table button[type=submit]")
    assert ApiToken.objects.get(name="值班脚本").revoked_at is not None
    assert client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
