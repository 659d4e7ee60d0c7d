"""The network tree of a national network in a real browser: a branch below the drawn levels is
fetched when its row is opened."""

import pytest

from canary.audit.roles import VIEWER
from tests.conftest import security_user
from tests.console.test_paging import big_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 7"


def test_opening_a_hub_of_abig_network_fetches_its_depots(login, live_server):
    security_user("viewer", role=VIEWER, password=PASSWORD)
    depot, _courier = big_network()
    hub = depot.parent
    page = login("viewer", PASSWORD)
    page.goto(f"{live_server.url}/network/")
    assert page.locator(f"a[href='/network/nodes/{depot.code}/']").count() == 0
    page.click(f"summary:has(a[href='/network/nodes/{hub.code}/']) >> span.count")
    page.wait_for_selector(f"a[href='/network/nodes/{depot.code}/']")
