"""One place that turns every error into `{"message": ..., "errors": {field: [...]}}` with the right status."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from eventhub.errors import HubError

logger = logging.getLogger(__name__)


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors by field; flatten to dotted paths so every message names its field."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                for k, v in _flatten(item, f"{prefix}[{index}]" if prefix else f"[{index}]").items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def _summary(errors: dict[str, list[str]]) -> str:
    parts = [f"{field}: {msgs[0]}" for field, msgs in list(errors.items())[:3]]
    return "Invalid request. " + "; ".join(parts) if parts else "Invalid request."


def error_response(
    status_code: int, message: str, errors: dict | None = None, headers: dict | None = None
) -> Response:
    body = {"message": message}
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    if status_code == 409 or status_code >= 500:
        response["x-should-retry"] = "false" if status_code in (409, 500) else "true"
    return response


def exception_handler(exc, context):
    if isinstance(exc, HubError):
        response = error_response(exc.status_code, exc.message, exc.errors)
        if exc.should_retry is not None:
            response["x-should-retry"] = "true" if exc.should_retry else "false"
        return response
    if isinstance(exc, Http404):
        return error_response(status.HTTP_404_NOT_FOUND, str(exc) or "Not found.")
    if isinstance(exc, PermissionDenied):
        return error_response(status.HTTP_403_FORBIDDEN, "You do not have permission to perform this action.")
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        return error_response(status.HTTP_400_BAD_REQUEST, _summary(errors), errors)
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return error_response(
            429, f"Rate limit exceeded; retry in {wait} s.", headers={"Retry-After": str(wait)}
        )
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = "Bearer"
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (dict, list)) else "Request failed."
        return error_response(exc.status_code, message, headers=headers)
    return None


def json_404(request, exception=None):
    """Unknown routes answer JSON, not an HTML page, for API clients."""
    return JsonResponse({"message": f"No route for {request.method} {request.path}."}, status=404)


def json_500(request):
    return JsonResponse({"message": "Internal error."}, status=500, headers={"x-should-retry": "false"})
