"""What every portal page shares: rendering with the security headers, the session guard (a live
portal session; writes refused when read-only), and turning a service's domain error into a message."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

from django.contrib import messages as flash
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from eventhub.errors import HubError
from portal import session as portal_session
from portal.security import harden


def render(request, template: str, context: dict, status: int = 200):
    response = TemplateResponse(
        request, f"portal/{template}", {**context, "portal": getattr(request, "portal", None)}, status=status
    )
    return harden(response)


def refused(request, reason: str, status: int = 403):
    return render(request, "refused.html", {"reason": reason}, status=status)


def portal_view(view):
    """Requires a live portal session; a write (POST) also requires it not to be read-only."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        request.portal = portal_session.current(request)
        if request.portal is None:
            return refused(request, "no_session")
        if (
            request.method == "POST"
            and request.portal.read_only
            and not getattr(view, "read_only_allowed", False)
        ):
            return refused(request, "read_only")
        response = view(request, *args, **kwargs)
        return harden(response)

    return wrapper


def attempt(request, action, success: str, back: str):
    """Run one service call; its domain error is shown on the page it came from."""
    try:
        action()
    except HubError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, success)
    return redirect(back)


def parse_time(raw: str | None) -> datetime | None:
    """A form's time (`YYYY-MM-DDTHH:MM`, as <input type=datetime-local> sends it), read as UTC; blank is
    None, anything else unreadable raises ValueError."""
    raw = (raw or "").strip()
    if not raw:
        return None
    parsed = parse_datetime(raw)  # raises ValueError for a well-formed but impossible time
    if parsed is None:
        raise ValueError(raw)
    return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed


def as_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
