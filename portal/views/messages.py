"""The message log: filtered keyset pages of messages, one message with its attempts, resend."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages as flash
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from deliveries.models import MessageStatus
from deliveries.services import recovery
from eventhub.errors import HubError
from portal import selectors
from portal.views.base import as_json, attempt, parse_time, portal_view, render


def _filter_time(request, name: str) -> datetime | None:
    try:
        return parse_time(request.GET.get(name))
    except ValueError:
        flash.error(request, f"Ignored {name}: enter the time as YYYY-MM-DDTHH:MM (UTC).")
        return None


@require_GET
@portal_view
def message_list(request):
    params = request.GET
    filters = {
        "endpoint_token": params.get("endpoint", "")[:64],
        "event_type": params.get("event_type", "")[:128],
        "status": params.get("status", ""),
        "since": _filter_time(request, "since"),
        "until": _filter_time(request, "until"),
    }
    try:
        page = selectors.messages(request.portal, **filters, starting_after=params.get("after"))
    except HubError as exc:
        flash.error(request, exc.message)
        page = selectors.messages(request.portal, **filters)
    query = params.copy()
    query.pop("after", None)
    if page.has_more and page.items:
        query["after"] = page.items[-1].token
    context = {
        "page": page,
        "next_query": query.urlencode() if page.has_more else "",
        "params": params,
        "endpoints": selectors.endpoints(request.portal),
        "statuses": MessageStatus.values,
        "title": "Message log",
    }
    return render(request, "messages.html", context)


@require_GET
@portal_view
def message_detail(request, token: str):
    message = selectors.message(request.portal, token)
    context = {
        "message": message,
        "payload_json": as_json(message.event.payload),
        "attempts": selectors.attempts_of(message),
        "title": f"Message {message.token}",
    }
    return render(request, "message.html", context)


@require_POST
@portal_view
def message_resend(request, token: str):
    message = selectors.message(request.portal, token)
    return attempt(
        request,
        lambda: recovery.resend(message.event, message.subscription, actor=request.portal.actor),
        "Resend queued.",
        reverse("portal:message", args=[token]),
    )
