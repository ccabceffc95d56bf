"""Read-scale scenario: latency of `GET /v1/events` and `GET /v1/event_subscriptions/{t}/attempts`,
first page and 100th page (20 per page, walked with the `starting_after` cursor), with 10,000 events
(and as many messages and attempts) in the database, then again after loading 1,000,000. Keyset
pagination on (created, id) indexes should make both independent of the table size (floor: <= 1.5x).

Each figure is the median of repeated requests to the same URL through the web server (keep-alive).
"""

from __future__ import annotations

import statistics
import time

import requests

from bench.common import Figure, Hub, ReceiverProcess, progress
from bench.delivery import subscribed_account
from bench.loader import load_events, load_messages

REPEATS = 15
PAGES = 100


def _median_ms(session: requests.Session, url: str) -> float:
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        session.get(url, timeout=60).raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _page_latencies(session: requests.Session, url: str) -> tuple[float, float]:
    """(first page ms, 100th page ms): walks the cursor to page 100, then times that page's URL."""
    first = _median_ms(session, url)
    cursor = None
    for _ in range(PAGES - 1):
        page = session.get(url + (f"&starting_after={cursor}" if cursor else ""), timeout=60).json()
        if not page["data"]:
            raise RuntimeError(f"fewer than {PAGES} pages at {url}")
        cursor = page["data"][-1]["token"]
    return first, _median_ms(session, f"{url}&starting_after={cursor}")


def measure(hub_url: str, size: int, receiver: ReceiverProcess) -> dict:
    from eventhub.services.accounts import issue_api_key

    account = subscribed_account(f"reads-{size}", [receiver.url])
    subscription = account.subscriptions.get()
    started = time.monotonic()
    load_events(account, size, prefix=f"r{size}")
    load_messages(account, subscription, prefix=f"r{size}", status="SUCCESS", with_attempts=True)
    progress(f"reads: {size} events, messages and attempts loaded in {time.monotonic() - started:.0f} s")
    session = requests.Session()
    session.headers["Authorization"] = issue_api_key(account).raw_key
    events = _page_latencies(session, f"{hub_url}/v1/events?page_size=20")
    attempts = _page_latencies(
        session, f"{hub_url}/v1/event_subscriptions/{subscription.token}/attempts?page_size=20"
    )
    return {
        "size": size,
        "events_first_ms": events[0],
        "events_page100_ms": events[1],
        "attempts_first_ms": attempts[0],
        "attempts_page100_ms": attempts[1],
        "load_s": time.monotonic() - started,
    }


def run(hub: Hub, receiver: ReceiverProcess, options) -> tuple[list[Figure], dict]:
    small_size, large_size = options.reads
    base = hub.start_web()
    try:
        small = measure(base, small_size, receiver)
        large = measure(base, large_size, receiver)
    finally:
        hub.stop_web()
    figures = []
    for key, label in [
        ("events_first_ms", "GET /v1/events, first page"),
        ("events_page100_ms", "GET /v1/events, 100th page"),
        ("attempts_first_ms", "GET .../attempts, first page"),
        ("attempts_page100_ms", "GET .../attempts, 100th page"),
    ]:
        ratio = large[key] / small[key]
        figures.append(
            Figure(
                "reads",
                f"{label}: {large_size} vs {small_size} rows",
                large[key],
                "ms",
                small[key],
                ratio,
                "<= 1.5",
                ratio <= 1.5,
            )
        )
    return figures, {"small": small, "large": large}
