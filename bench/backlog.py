"""Backlog scenario: the worker's resident memory while it drains 1,000 and then 100,000 due messages.

The backlog is built while no worker runs (the hub is "paused": messages are due but nobody sends),
then a worker starts and drains it. Due work lives in the database and is claimed in batches, never as
ETA tasks in the worker, so its memory should not grow with the backlog: the floor is large/small <= 1.3.
"""

from __future__ import annotations

import time

from bench.common import Figure, Hub, ReceiverProcess, progress, rss_bytes
from bench.delivery import subscribed_account
from bench.loader import load_events, load_messages

SUBSCRIPTIONS = 4  # one subscription would be held to its in-flight cap; four let the worker run at full rate


def drain(hub: Hub, receiver: ReceiverProcess, size: int, options) -> dict:
    account = subscribed_account(f"backlog-{size}", [receiver.url] * SUBSCRIPTIONS)
    load_events(account, size // SUBSCRIPTIONS, prefix=f"k{size}")
    for index, subscription in enumerate(account.subscriptions.all()):
        load_messages(account, subscription, prefix=f"k{size}s{index}")
    receiver.reset()
    progress(f"backlog: {size} due messages loaded; starting the worker")
    started = time.monotonic()
    pids = hub.start_workers(options.workers, options.threads, options.pool)
    peak, samples, received = 0, 0, 0
    deadline = started + options.timeout + size / 200
    try:
        while time.monotonic() < deadline:
            peak = max(peak, sum(rss_bytes(pid) for pid in pids))
            samples += 1
            received = receiver.count()
            if received >= size:
                break
            time.sleep(0.25)
        seconds = time.monotonic() - started
    finally:
        hub.stop_workers()
    return {
        "size": size,
        "peak_rss_mb": peak / 2**20,
        "samples": samples,
        "received": received,
        "seconds": seconds,
        "per_second": received / seconds,
    }


def run(hub: Hub, receiver: ReceiverProcess, options) -> tuple[list[Figure], dict]:
    small, large = (drain(hub, receiver, size, options) for size in options.backlog)
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    drained = small["received"] >= small["size"] and large["received"] >= large["size"]
    figures = [
        Figure(
            "backlog",
            f"worker peak RSS draining {large['size']} vs {small['size']} due",
            large["peak_rss_mb"],
            "MB",
            small["peak_rss_mb"],
            ratio,
            "<= 1.3",
            ratio <= 1.3,
        ),
        Figure(
            "backlog",
            f"drained {large['received']} of {large['size']} (deliveries/s incl. start)",
            large["per_second"],
            "/s",
            floor="all",
            met=drained,
        ),
    ]
    return figures, {"small": small, "large": large}
