"""Per-key rate limiting in a cache every web process shares: the `ratelimit` cache (Redis when
EVENTHUB_CACHE_URL names one, else the database cache table `eventhub_cache`), never per-process memory,
so N workers do not multiply the limit by N. Counting is a fixed window: on Redis one round trip per
request (INCR and EXPIRE pipelined); on the database cache an add and an increment (a read and a write,
so a burst may overshoot slightly)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

RATELIMIT_CACHE = "ratelimit"


def count_hit(cache: BaseCache, key: str, ttl: int) -> int:
    """Add one to the window's counter and return it. Redis: INCR (creates it at 1) and EXPIRE in one
    pipelined round trip; the counter is a plain integer, as RedisCache stores ints, so cache.get reads it."""
    if isinstance(cache, RedisCache):
        redis_key = cache.make_and_validate_key(key)
        client = redis_client(cache)
        pipeline = client.pipeline(transaction=False)
        pipeline.incr(redis_key)
        pipeline.expire(redis_key, ttl)
        count, _ = pipeline.execute()
        return int(count)
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=ttl)
        return 1


def redis_client(cache: RedisCache):
    """Django's own client (its pool and options), built once per cache instance: RedisCache makes a new
    redis.Redis, with its ~170 response callbacks, on every call, which was a tenth of the throttle's CPU.
    A client only borrows connections from the pool, so reusing it is safe; cache instances are per thread."""
    backend = cache._cache
    client = getattr(backend, "_eventhub_write_client", None)
    if client is None:
        client = backend._eventhub_write_client = backend.get_client(write=True)
    return client


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
        return count_hit(self.cache, counter, self.duration + 1) <= self.num_requests

    def wait(self) -> float:
        return max(1.0, getattr(self, "_retry_after", float(self.duration)))
