"""Turn a lost database into a 503 with Retry-After (clients retry), never a 500 with a trace."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable during %s %s: %s", request.method, request.path, exception)
            return JsonResponse(
                {"message": "The database is unavailable; nothing was recorded. Retry shortly."},
                status=503,
                headers={"Retry-After": "2", "x-should-retry": "true"},
            )
        return None


class RejectNulCharactersMiddleware:
    """A NUL in the path or query string is never valid input, and PostgreSQL text cannot hold one: refuse it
    with a 400 naming the parameter instead of letting a lookup fail with a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return _nul_refused("path")
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return _nul_refused(name.replace("\x00", "\\x00"))
        return self.get_response(request)


def _nul_refused(field: str) -> JsonResponse:
    message = f"{field}: must not contain NUL characters."
    return JsonResponse(
        {"message": message, "errors": {field: ["Must not contain NUL characters."]}}, status=400
    )
