"""One error body for every refusal: ``{"code", "message" (Chinese), "message_en"}``, plus
``errors`` (field → problems) for bad input, ``detail`` for a specific reason, ``retry_after``."""

from django.utils import translation
from rest_framework import exceptions
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        code, default, detail = exc.default_code, exc.default_detail, exc.detail
    elif response.status_code == 404:
        code, default, detail = "not_found", exceptions.NotFound.default_detail, None
    else:
        code, default, detail = "permission_denied", exceptions.PermissionDenied.default_detail, None
    with translation.override("zh-hans"):
        body = {"code": code, "message": str(default)}
    with translation.override("en"):
        body["message_en"] = str(default)
    if isinstance(exc, exceptions.ValidationError):
        body["errors"] = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    elif isinstance(detail, str) and str(detail) != body["message"]:
        body["detail"] = str(detail)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after"] = int(exc.wait)
    response.data = body
    return response
