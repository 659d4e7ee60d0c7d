"""Schemathesis against our own OpenAPI schema: no 5xx, and every response conforms to it."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from canary.wsgi import application

# Operations whose work leaves the process (a provider's REST API, a worker) or renders a PDF are
# covered by their own tests; the fuzzer sticks to what answers in the request.
SKIPPED = r"/(labels|release|fetch|case-file)/"

raw = SchemaGenerator().get_schema(request=None, public=True)
schema = schemathesis.openapi.from_dict(raw).exclude(path_regex=SKIPPED)
schema.app = application


@pytest.fixture
def one_connection():
    """The WSGI handler closes the database connection after each request; the test's
    transaction lives on it, so keep it open as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_key(network, numbers, campaign_spec, one_connection):
    from canary.api.tokens import issue_token
    from canary.campaigns.planner import CampaignSpec, create_campaign
    from tests.conftest import security_user

    # One small campaign (issuing the full test campaign for every operation costs minutes).
    create_campaign(CampaignSpec.from_dict({**campaign_spec, "node_kinds": [], "nodes": ["D-SH-PD"]}))

    return issue_token(security_user("fuzz", "security_admin"), "admin")[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_conforms_to_its_schema(case, admin_key):
    case.call_and_validate(
        headers={"Authorization": f"Token {admin_key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
