"""The rate limit by reservation: a process reserves a block of hits in the shared counter and serves them
from memory, so the limit stays global (two real processes here) while Redis sees one round trip per block."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from eventhub.api.throttling import ApiKeyRateThrottle, allow_hit, forget_leases, lease_block, leased_counters
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]

_HAMMER = """
import json, os, sys, threading, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventhub.settings")
django.setup()
from django.core.cache import caches
from eventhub.api.throttling import allow_hit
counter, limit, threads, hits, processes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
allowed = [0] * threads
def hammer(n):
    cache = caches["ratelimit"]
    allowed[n] = sum(allow_hit(cache, counter, limit, 600) for _ in range(hits))
workers = [threading.Thread(target=hammer, args=(n,)) for n in range(threads)]
ready, deadline = caches["ratelimit"], time.monotonic() + 60
ready.add(counter + ":ready", 0, 600)
ready.incr(counter + ":ready")
while ready.get(counter + ":ready") < processes and time.monotonic() < deadline:  # all start at once
    time.sleep(0.005)
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
print(json.dumps(sum(allowed)))
"""


def _redis_url() -> str:
    return os.environ.get("EVENTHUB_CACHE_URL") or os.environ.get("CELERY_BROKER_URL") or ""


@pytest.fixture
def redis_ratelimit_cache(settings):
    """The `ratelimit` cache on a real Redis under a fresh prefix; only this test's keys are deleted after."""
    url = _redis_url()
    if not url.startswith("redis"):
        require_service("Redis", "neither EVENTHUB_CACHE_URL nor CELERY_BROKER_URL names one")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        require_service("Redis", str(exc))
    prefix = f"rl-lease-{uuid.uuid4()}"
    backend = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
    }
    settings.CACHES = {**settings.CACHES, "ratelimit": backend}
    forget_leases()
    yield caches["ratelimit"]
    forget_leases()
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def database_ratelimit_cache(settings):
    """The embedded default: the database cache table."""
    backend = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "eventhub_cache"}
    settings.CACHES = {**settings.CACHES, "ratelimit": backend}
    forget_leases()
    caches["ratelimit"].clear()
    yield caches["ratelimit"]
    forget_leases()
    caches["ratelimit"].clear()


@pytest.fixture(params=["redis", "database"])
def shared_cache(request):
    return request.getfixturevalue(f"{request.param}_ratelimit_cache")


def test_the_block_is_a_hundredth_of_the_limit_one_for_small_limits_and_capped():
    assert [lease_block(limit) for limit in (1, 3, 199, 200, 6000, 10**8)] == [1, 1, 1, 2, 60, 100]


@pytest.mark.django_db
def test_a_block_of_one_is_exact(shared_cache):
    assert [allow_hit(shared_cache, "exact", 3, 60) for _ in range(5)] == [True, True, True, False, False]
    assert shared_cache.get("exact") == 5  # one hit reserved per request, as plain counting did


@pytest.mark.django_db
def test_the_last_block_is_partial_and_the_limit_is_never_exceeded(shared_cache):
    assert all(allow_hit(shared_cache, "partial", 205, 60) for _ in range(205))  # blocks of 2
    assert shared_cache.get("partial") == 206  # 103 reservations: the last one granted only the 1 left
    assert [allow_hit(shared_cache, "partial", 205, 60) for _ in range(5)] == [False] * 5


@pytest.mark.django_db
def test_on_redis_a_block_costs_one_round_trip(
    acme, event_types, redis_ratelimit_cache, redis_round_trips, monkeypatch
):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"api_key": "1000/day"})  # blocks of 10
    client = acme.client()
    client.get("/v1/events")  # warm: the key and its account are memoised, the Redis pool connected
    redis_round_trips.clear()
    assert [client.get("/v1/events").status_code for _ in range(50)] == [200] * 50
    assert len(redis_round_trips) <= 6  # ~50 / 10 (a day's window may roll over once), not 50


def _hammering_process(counter: str, limit: int, processes: int) -> subprocess.Popen:
    env = {**os.environ, "EVENTHUB_CACHE_URL": _redis_url(), "EVENTHUB_RATE_LIMIT": f"{limit}/min"}
    return subprocess.Popen(
        [sys.executable, "-c", _HAMMER, counter, str(limit), "4", "400", str(processes)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_limit_holds_across_two_processes_with_four_threads_each(redis_ratelimit_cache):
    counter, limit, processes = f"shared-{uuid.uuid4()}", 1000, 2  # blocks of 10; 3,200 hits in all
    running = [_hammering_process(counter, limit, processes) for _ in range(processes)]
    allowed = []
    try:
        for process in running:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-3000:]
            allowed.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        client = redis.Redis.from_url(_redis_url())
        for key in client.scan_iter(f"*{counter}*"):  # the processes' keys, under the settings' prefix
            client.delete(key)
    # 1,000 in all, not per process (which would serve 2,000), less at most one unused block per process
    assert limit - (lease_block(limit) - 1) * processes <= sum(allowed) <= limit


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.django_db
def test_a_new_window_reserves_anew_and_the_429_keeps_its_retry_after(
    acme, event_types, shared_cache, monkeypatch
):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"api_key": "201/min"})  # blocks of 2
    clock = _Clock((time.time() // 60) * 60 + 10)  # 10 s into a minute
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", clock)
    client = acme.client()
    assert [client.get("/v1/events").status_code for _ in range(201)] == [200] * 201
    limited = client.get("/v1/events")
    assert limited.status_code == 429
    assert limited["Retry-After"] == "50" and "Rate limit" in limited.json()["message"]
    clock.now += 60  # the next window: the lease of the last one is spent and a new one is reserved
    assert [client.get("/v1/events").status_code for _ in range(3)] == [200] * 3


@pytest.mark.django_db
def test_leases_of_ended_windows_are_dropped(shared_cache):
    ended = {f"ended-window-{n}" for n in range(20)}
    for counter in ended:
        allow_hit(shared_cache, counter, 10**6, 1)
    assert leased_counters() == ended
    deadline, n = time.monotonic() + 10, 0
    while leased_counters() & ended and time.monotonic() < deadline:
        time.sleep(0.2)
        n += 1
        allow_hit(shared_cache, f"current-window-{n}", 10**6, 60)
    assert not leased_counters() & ended  # swept once their windows ended, while new keys came
    assert len(leased_counters()) == n


def _report_leases(queue) -> None:
    queue.put(len(leased_counters()))


@pytest.mark.django_db
def test_a_forked_child_does_not_spend_its_parents_leases(shared_cache):
    allow_hit(shared_cache, "parent", 10**6, 60)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_report_leases, args=(queue,))
    child.start()
    assert queue.get(timeout=30) == 0
    child.join(timeout=30)
    assert leased_counters() == {"parent"}
