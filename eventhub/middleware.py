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
