"""Entering and leaving the portal: a single-use link starts the session; signing out ends it."""

from __future__ import annotations

from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from portal import links
from portal import session as portal_session
from portal.security import harden
from portal.views.base import portal_view, refused


@require_GET
def start(request, token: str):
    """Open a link once: the session starts and the browser moves to the endpoints page (the token
    leaves the address bar at once)."""
    try:
        link = links.redeem_link(token)
    except links.LinkRefused as exc:
        return refused(request, exc.reason, status=410 if exc.reason in ("expired", "used") else 403)
    portal_session.start(request, link)
    return harden(redirect("portal:endpoints"))


def end(request):
    request.session.pop(portal_session.SESSION_KEY, None)
    return refused(request, "ended", status=200)


end.read_only_allowed = True  # signing out changes nothing of the account's
end = require_POST(portal_view(end))


@require_GET
@portal_view
def home(request):
    return redirect("portal:endpoints")
