"""Session, Django-auth and messages middleware serve the browser pages (the admin, the portal, the API
docs); the key-authenticated APIs under /v1/ and /organizations/ never use them, so there they pass
straight through instead of costing every publish. Safe because every view there is a DRF view,
authenticated by API key or OAuth token (never a session), and DRF sets request.user itself. /oauth/token
and every other path keep the whole stack. CSRF stays Django's own middleware everywhere: `check --deploy`
looks for it by name, and DRF views are CSRF-exempt, so on the APIs it only reads a cookie."""

from __future__ import annotations

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions

KEYED_API_PREFIXES = ("/v1/", "/organizations/")


def is_keyed_api(request) -> bool:
    return request.path_info.startswith(KEYED_API_PREFIXES)


def browser_only(middleware: type) -> type:
    """`middleware` for every path but the keyed APIs', where it neither runs nor sees the view."""

    class BrowserOnly(middleware):
        def __call__(self, request):
            if is_keyed_api(request):
                return self.get_response(request)
            return super().__call__(request)

    if hasattr(middleware, "process_view"):

        def process_view(self, request, view_func, view_args, view_kwargs):
            if is_keyed_api(request):
                return None
            return middleware.process_view(self, request, view_func, view_args, view_kwargs)

        BrowserOnly.process_view = process_view
    BrowserOnly.__name__ = BrowserOnly.__qualname__ = middleware.__name__
    BrowserOnly.__doc__ = f"{middleware.__module__}.{middleware.__name__}, skipped on the keyed APIs."
    return BrowserOnly


SessionMiddleware = browser_only(sessions.SessionMiddleware)
AuthenticationMiddleware = browser_only(auth.AuthenticationMiddleware)
MessageMiddleware = browser_only(messages.MessageMiddleware)
