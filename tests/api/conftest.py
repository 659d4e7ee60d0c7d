"""API fixtures: one user and token per scope, and a client that sends a token."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from canary.audit.roles import SECURITY_ADMIN, SECURITY_ANALYST, VIEWER
from tests.conftest import security_user

SCOPE_ROLES = {"admin": SECURITY_ADMIN, "analyst": SECURITY_ANALYST, "viewer": VIEWER}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # the throttle counts requests in the cache
    yield
    cache.clear()


@pytest.fixture
def keys(db):
    """scope → API key of a user holding the matching role."""
    from canary.api.tokens import issue_token

    return {
        scope: issue_token(security_user(f"{scope}-user", role), scope, name=f"{scope} script")[1]
        for scope, role in SCOPE_ROLES.items()
    }


class TokenClient:
    def __init__(self, client, key: str | None):
        self.client, self.headers = client, ({"HTTP_AUTHORIZATION": f"Token {key}"} if key else {})

    def __getattr__(self, method):
        def call(path, data=None, **kwargs):
            if (
                method in ("post", "patch", "put")
                and "content_type" not in kwargs
                and not kwargs.pop("multipart", False)
            ):
                kwargs["content_type"] = "application/json"
            return getattr(self.client, method)(path, data, **{**self.headers, **kwargs})

        return call


@pytest.fixture
def api(client, keys):
    """``api("analyst").get(path)``; ``api(None)`` sends no token."""
    return lambda scope: TokenClient(client, keys[scope] if scope else None)
