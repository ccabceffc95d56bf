"""Per-key rate limiting in a cache every web process shares: the `ratelimit` cache (Redis when
EVENTHUB_CACHE_URL names one, else the database cache table `eventhub_cache`), never per-process memory,
so N workers do not multiply the limit by N. Counting is a fixed window: one atomic increment per request
on Redis (the database cache's increment is a read and a write, so a burst may overshoot slightly)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

RATELIMIT_CACHE = "ratelimit"


def client_address(request) -> str:
    """The caller's address: REMOTE_ADDR, unless EVENTHUB_TRUSTED_PROXY_COUNT proxies are in front, in which
    case the address the outermost trusted proxy saw (X-Forwarded-For is forgeable by the client otherwise)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.EVENTHUB_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Per API key when authenticated (keys are what the limit is for); per client address otherwise."""

    scope = "api_key"

    @property
    def cache(self):
        return caches[RATELIMIT_CACHE]

    def get_ident(self, request) -> str:
        return client_address(request)

    def get_cache_key(self, request, view):
        caller = getattr(request, "user", None)
        if caller is None or not getattr(caller, "is_authenticated", False):
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": caller.api_key.key_id}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        counter = f"{key}:{window}"
        self._retry_after = (window + 1) * self.duration - now
        self.cache.add(counter, 0, timeout=self.duration + 1)
        try:
            count = self.cache.incr(counter)
        except ValueError:  # expired between add and incr
            self.cache.set(counter, 1, timeout=self.duration + 1)
            count = 1
        return count <= self.num_requests

    def wait(self) -> float:
        return max(1.0, getattr(self, "_retry_after", float(self.duration)))
