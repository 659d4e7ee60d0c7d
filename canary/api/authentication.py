from rest_framework import authentication

from .exceptions import TokenInvalid
from .tokens import authenticate_key

KEYWORDS = ("token", "bearer")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token KEY`` or ``Authorization: Bearer KEY``."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise TokenInvalid("Authorization: Token KEY (or Bearer KEY), one key with no spaces")
        token = authenticate_key(parts[1].decode(errors="replace"))
        if token is None or not token.user.is_active:
            raise TokenInvalid
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Token realm="api"'
