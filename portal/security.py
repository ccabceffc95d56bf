"""Response headers every portal page carries: a Content-Security-Policy that allows only the hub's own
assets, frame-ancestors from EVENTHUB_PORTAL_FRAME_ANCESTORS (so a product may embed the portal), and
no caching of tenant data."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse


def frame_ancestors() -> str:
    origins = [o for o in settings.EVENTHUB_PORTAL_FRAME_ANCESTORS if o and not any(c in o for c in ";,\r\n")]
    return " ".join(origins) if origins else "'none'"


def content_security_policy() -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors()}",
        )
    )


def harden(response: HttpResponse) -> HttpResponse:
    response["Content-Security-Policy"] = content_security_policy()
    response["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: under no-referrer browsers send `Origin: null` with form posts, which
    # Django's CSRF check rightly refuses. Cross-origin requests still get no referrer (link tokens stay here).
    response["Referrer-Policy"] = "same-origin"
    response["X-Content-Type-Options"] = "nosniff"
    if settings.EVENTHUB_PORTAL_FRAME_ANCESTORS:
        response.xframe_options_exempt = True  # frame-ancestors decides; X-Frame-Options cannot list origins
    else:
        response["X-Frame-Options"] = "DENY"
    return response
