"""The per-key rate limit is shared by every web process (two real processes here, with the embedded
default configuration: no cache server), and X-Forwarded-For is not believed unless proxies are configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from eventhub.api.throttling import forget_leases
from tests.conftest import require_service
from tests.e2e.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]

_REQUESTS = """
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventhub.settings")
django.setup()
from django.test import Client
client = Client()
print(json.dumps([client.get("/v1/events", HTTP_AUTHORIZATION=sys.argv[1]).status_code for _ in range(int(sys.argv[2]))]))
"""


@pytest.fixture(autouse=True)
def _fresh_counters():
    caches["ratelimit"].clear()
    forget_leases()
    yield
    caches["ratelimit"].clear()
    forget_leases()


def _web_process(key: str, requests: int) -> list[int]:
    """A separate Python process serving `requests` calls with `key`: its own memory, the shared database."""
    env = {
        k: v for k, v in os.environ.items() if k != "EVENTHUB_CACHE_URL"
    }  # the embedded default: no cache server
    env.update({"DATABASE_URL": database_url(), "EVENTHUB_RATE_LIMIT": "5/day"})
    result = subprocess.run(
        [sys.executable, "-c", _REQUESTS, key, str(requests)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_the_limit_is_shared_by_two_web_processes_without_a_cache_server(acme, event_types):
    first = _web_process(acme.key, 4)
    second = _web_process(acme.key, 3)
    assert first == [200, 200, 200, 200]
    assert second == [200, 429, 429]  # 5 per key in all, not 5 per process


@pytest.fixture
def three_per_day(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"api_key": "3/day"})


def _token_requests(forwarded_for: list[str]) -> list[int]:
    """Unauthenticated calls (bad client credentials at /oauth/token) are limited per client address."""
    client = APIClient()
    return [
        client.post(
            "/oauth/token",
            {"grant_type": "client_credentials"},
            format="json",
            HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==",
            HTTP_X_FORWARDED_FOR=address,
        ).status_code
        for address in forwarded_for
    ]


@pytest.mark.django_db
def test_x_forwarded_for_is_ignored_by_default(three_per_day):
    codes = _token_requests(["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"])
    assert codes == [401, 401, 401, 429]


@pytest.mark.django_db
def test_x_forwarded_for_names_the_client_behind_the_configured_proxies(three_per_day, settings):
    settings.EVENTHUB_TRUSTED_PROXY_COUNT = 1
    # The client may prepend anything; the address the one trusted proxy appended is the one counted.
    codes = _token_requests([f"198.51.100.7, 203.0.113.{i}" for i in range(1, 5)])
    assert codes == [401, 401, 401, 401]
    codes = _token_requests([f"{i}.{i}.{i}.{i}, 203.0.113.9" for i in range(1, 5)])
    assert codes == [401, 401, 401, 429]


@pytest.fixture
def redis_ratelimit_cache(settings):
    """The `ratelimit` cache on a real Redis (the broker's, as production shares it), under a fresh prefix."""
    import redis

    url = os.environ.get("CELERY_BROKER_URL", "")
    url = url if url.startswith("redis") else "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        require_service("Redis", str(exc))
    backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    settings.CACHES = {**settings.CACHES, "ratelimit": {**backend, "KEY_PREFIX": f"rl-test-{uuid.uuid4()}"}}
    yield caches["ratelimit"]
    caches["ratelimit"].clear()


@pytest.mark.django_db
def test_on_redis_each_request_costs_one_round_trip_and_the_limit_holds(
    acme, event_types, three_per_day, redis_ratelimit_cache, redis_round_trips
):
    client = acme.client()
    client.get("/v1/events")  # warm: the key and its account are memoised, the Redis pool connected
    redis_round_trips.clear()
    codes = [client.get("/v1/events").status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # 3 per day in all, the warm-up included
    assert len(redis_round_trips) == 3  # one per request: INCR and EXPIRE pipelined
    [counter] = [k for k in redis_ratelimit_cache._cache.get_client().keys("*") if b"api_key" in k]
    assert redis_ratelimit_cache._cache.get_client().ttl(counter) > 0  # every counter expires


@pytest.mark.django_db
def test_on_redis_the_throttle_reuses_one_client_instead_of_building_one_per_request(
    acme, event_types, redis_ratelimit_cache, monkeypatch
):
    import redis

    built = []
    original = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    client = acme.client()
    client.get("/v1/events")  # warm: the client exists
    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    assert [client.get("/v1/events").status_code for _ in range(5)] == [200] * 5
    assert built == []
