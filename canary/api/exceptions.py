"""The API's own refusals, each with a code and a message translated to Chinese and English."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions


class TokenInvalid(exceptions.AuthenticationFailed):
    default_detail = _("Invalid, expired or revoked API token.")
    default_code = "token_invalid"


class RoleTooLow(exceptions.PermissionDenied):
    default_detail = _("Your role or the token's scope does not allow this.")
    default_code = "role_required"


class Conflict(exceptions.APIException):
    """The request is valid but the object is in a state that refuses it (e.g. activating twice)."""

    status_code = 409
    default_detail = _("The object is not in a state that allows this.")
    default_code = "conflict"
