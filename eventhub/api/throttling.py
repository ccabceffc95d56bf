"""Per-key rate limiting, backed by the Django cache (Redis in production)."""
from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        caller = getattr(request, "user", None)
        if caller is None or not getattr(caller, "is_authenticated", False):
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": caller.api_key.key_id}
