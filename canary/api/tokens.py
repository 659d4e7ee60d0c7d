"""API tokens: issue (the secret is returned once), revoke, authenticate, and the role a request
acts with — the weaker of the token's scope and its user's current role."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from canary.audit.roles import SECURITY_ADMIN, SECURITY_ANALYST, VIEWER, role_of
from canary.audit.services import record

from .models import ApiToken, TokenScope

KEY_PREFIX = "cwt_"
PREFIX_CHARS = 8
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)

SCOPE_ROLE = {
    TokenScope.ADMIN: SECURITY_ADMIN,
    TokenScope.ANALYST: SECURITY_ANALYST,
    TokenScope.VIEWER: VIEWER,
}
ROLE_SCOPE = {role: scope for scope, role in SCOPE_ROLE.items()}
ROLE_RANK = {None: 0, VIEWER: 1, SECURITY_ANALYST: 2, SECURITY_ADMIN: 3}


class TokenError(ValueError):
    pass


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    user: Any,
    scope: str,
    name: str = "",
    expires_in_days: int | None = None,
    actor: str | None = None,
    ip: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it and the key, which is never shown again."""
    if scope not in TokenScope.values:
        raise TokenError(f"scope must be one of {', '.join(TokenScope.values)}")
    if ROLE_RANK[SCOPE_ROLE[scope]] > ROLE_RANK[role_of(user)]:
        raise TokenError(
            f"{user.get_username()} holds role {role_of(user) or 'none'}; scope {scope} exceeds it"
        )
    if expires_in_days is not None and expires_in_days < 1:
        raise TokenError("expiry must be at least one day")
    prefix = secrets.token_hex(PREFIX_CHARS // 2)
    key = f"{KEY_PREFIX}{prefix}{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        prefix=prefix,
        key_hash=_hash(key),
        created_by=actor or user.get_username(),
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    record("api.token.create", actor=actor, user=user, obj=token, ip=ip, scope=scope, name=name)
    return token, key


def revoke_token(token: ApiToken, actor: str | None = None, ip: str | None = None) -> bool:
    """Revoke at once; returns False if it was already revoked."""
    won = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
    if won:
        record("api.token.revoke", actor=actor, obj=token, ip=ip)
    token.refresh_from_db()
    return bool(won)


def active_tokens(user: Any | None = None):
    """Tokens that still authenticate (not revoked, not expired), newest first."""
    tokens = ApiToken.objects.filter(revoked_at=None).filter(
        Q(expires_at=None) | Q(expires_at__gt=timezone.now())
    )
    return tokens.filter(user=user) if user is not None else tokens


def authenticate_key(key: str) -> ApiToken | None:
    """The active token for ``key``, or None; notes when it was last used."""
    if not key.startswith(KEY_PREFIX):
        return None
    prefix = key[len(KEY_PREFIX) : len(KEY_PREFIX) + PREFIX_CHARS]
    token = active_tokens().select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, _hash(key)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def effective_role(user: Any, token: ApiToken | None) -> str | None:
    """The role a request acts with: the user's role, capped by the token's scope."""
    role = role_of(user)
    if token is None or role is None:
        return role
    scoped = SCOPE_ROLE[token.scope]
    return scoped if ROLE_RANK[scoped] < ROLE_RANK[role] else role
