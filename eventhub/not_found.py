"""Unknown routes answer JSON 404 in every mode: with DEBUG on, Django renders its HTML debug page
(every route listed) instead of calling handler404, so this middleware swaps any HTML 404 for the JSON one."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from eventhub.api.errors import json_404


class JsonNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404 and response.get("Content-Type", "").startswith("text/html"):
            return json_404(request)
        return response
