"""Per-key rate limiting in a cache every web process shares: the `ratelimit` cache (Redis when
EVENTHUB_CACHE_URL names one, else the database cache table `eventhub_cache`), never per-process memory
alone, so N workers do not multiply the limit by N. Counting is a fixed window, by reservation (a lease):

- A process reserves a block of hits for a key's window with one INCRBY of the block size (Redis: INCRBY
  and EXPIRE pipelined, one round trip; database cache: an add and an increment, a read and a write, so
  a burst of concurrent reservations may overshoot slightly, as single hits did before) and then serves
  that many requests from memory before it reserves again: one round trip per block, not per request.
- The block is `max(1, limit // 100)`, at most LEASE_BLOCK_MAX: small limits (under 200) reserve one hit
  at a time and behave exactly as plain counting (the 429 comes at hit limit + 1).
- The shared counter never grants more than the limit: a reservation that crosses it grants only what
  is left (the last block is partial), and the request beyond gets 429 with the usual Retry-After.
  The error is on the safe side: hits a process reserved but did not use by the window's end are lost,
  so with P processes a key may be served down to limit - (block - 1) x P in a window, never more than
  the limit. Once a window is spent, each denied hit still costs one reservation (a round trip, as
  before): a spent window is not remembered locally, so resetting the shared counter takes effect at once.
- A lease belongs to one window (the window is part of the counter's key): the first hit of a new
  window reserves anew. Leases of ended windows are swept at most once a second, so memory holds the
  keys active in the current window only. A forked child starts with no leases (its parent's are not
  its to spend).
- Within a process, one lock per key: the threads of a gthread worker share a lease, and only one of
  them reserves at a time (so a process never holds more than one unused block per key).
"""

from __future__ import annotations

import os
import threading
import time

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from eventhub.shared_cache import redis_client

RATELIMIT_CACHE = "ratelimit"
LEASE_BLOCK_MAX = 100
LEASE_SWEEP_SECONDS = 1.0


def reserve_hits(cache: BaseCache, key: str, hits: int, ttl: int) -> int:
    """Add `hits` to the window's counter and return the new total. Redis: INCRBY (creates it) and EXPIRE
    in one pipelined round trip; the counter is a plain integer, as RedisCache stores ints, so cache.get
    reads it."""
    if isinstance(cache, RedisCache):
        redis_key = cache.make_and_validate_key(key)
        pipeline = redis_client(cache).pipeline(transaction=False)
        pipeline.incrby(redis_key, hits)
        pipeline.expire(redis_key, ttl)
        total, _ = pipeline.execute()
        return int(total)
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key, hits)
    except ValueError:  # expired between add and incr
        cache.set(key, hits, timeout=ttl)
        return hits


def lease_block(limit: int) -> int:
    """Hits reserved at a time: about a hundredth of the limit, so the unused remainder stays ~1 %."""
    return min(LEASE_BLOCK_MAX, max(1, limit // 100))


class _Lease:
    """Hits of one key's window this process has reserved and not yet served."""

    __slots__ = ("lock", "left", "expires_at")

    def __init__(self, expires_at: float):
        self.lock = threading.Lock()
        self.left = 0
        self.expires_at = expires_at


class _LeaseTable:
    """This process's leases by counter key (key and window). The table lock guards only the dict; a
    lease's own lock is held across its reservation, so other keys are not kept waiting on Redis."""

    def __init__(self):
        self.lock = threading.Lock()
        self.leases: dict[str, _Lease] = {}
        self.next_sweep = 0.0

    def lease(self, counter: str, ttl: int) -> _Lease:
        lease = self.leases.get(counter)
        if lease is not None:
            return lease
        now = time.monotonic()
        with self.lock:
            if now >= self.next_sweep:
                self.leases = {key: kept for key, kept in self.leases.items() if kept.expires_at > now}
                self.next_sweep = now + LEASE_SWEEP_SECONDS
            return self.leases.setdefault(counter, _Lease(now + ttl))


_table = _LeaseTable()


def allow_hit(cache: BaseCache, counter: str, limit: int, ttl: int) -> bool:
    """Whether one more hit on `counter` (a key for one window, expiring after `ttl` seconds) is within
    `limit`: served from this process's lease, reserving the next block in the shared cache when it is
    spent. The public entry point for any view that throttles by hand."""
    lease = _table.lease(counter, ttl)
    with lease.lock:
        if lease.left <= 0:
            lease.left = _reserve(cache, counter, limit, ttl)
            if lease.left <= 0:
                return False
        lease.left -= 1
        return True


def _reserve(cache: BaseCache, counter: str, limit: int, ttl: int) -> int:
    """Reserve a block and return how many of its hits are within the limit (0 when none are left)."""
    block = lease_block(limit)
    total = reserve_hits(cache, counter, block, ttl)
    return max(0, min(block, limit - (total - block)))


def forget_leases() -> None:
    """Drop this process's unused leases (tests that clear the shared counters; a forked child)."""
    global _table
    _table = _LeaseTable()


os.register_at_fork(after_in_child=forget_leases)


def leased_counters() -> set[str]:
    """The counter keys this process holds a lease for: memory grows only when a lease is made, and each
    new lease first sweeps out those of ended windows (at most once a second)."""
    return set(_table.leases)


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
        now = self.timer()
        window = int(now // self.duration)
        self._retry_after = (window + 1) * self.duration - now
        return allow_hit(self.cache, f"{key}:{window}", self.num_requests, self.duration + 1)

    def wait(self) -> float:
        return max(1.0, getattr(self, "_retry_after", float(self.duration)))
