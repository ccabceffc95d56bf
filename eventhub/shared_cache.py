"""The shared (Redis) cache's client, reused: Django's RedisCache builds a new `redis.Redis`, with its
~170 response callbacks, on every call, which was a tenth of the throttle's CPU and half of the kicker
thread's (the kick gate's `add`)."""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def redis_client(cache: RedisCache):
    """Django's own client (its pool and options), built once per cache instance. A client only borrows
    connections from the pool, so reusing it is safe; cache instances are per thread."""
    backend = cache._cache
    client = getattr(backend, "_eventhub_write_client", None)
    if client is None:
        client = backend._eventhub_write_client = backend.get_client(write=True)
    return client


def add_flag(key: str, seconds: int) -> bool:
    """Set `key` in the default cache for `seconds` unless it is set; True when this call set it
    (`cache.add(key, 1, seconds)`, stored the same way, so `cache.delete(key)` clears it)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return bool(redis_client(cache).set(cache.make_and_validate_key(key), 1, nx=True, ex=seconds))
    return bool(cache.add(key, 1, seconds))


def delete_flag(key: str) -> None:
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        redis_client(cache).delete(cache.make_and_validate_key(key))
    else:
        cache.delete(key)
