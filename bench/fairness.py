"""Fairness scenario: nine healthy subscriptions at a steady load, alone and then beside a tenth whose
endpoint hangs until the hub's delivery timeout. The healthy ones' p99 publish-to-receipt latency
should barely move (floor: at most 1.5x): the per-subscription in-flight cap keeps the hanging
endpoint from taking the worker's send slots, and outcomes are recorded without waiting for it."""

from __future__ import annotations

from bench.common import Figure, Hub, ReceiverProcess, progress
from bench.delivery import publish_and_collect, subscribed_account

HEALTHY = 9


def run(hub: Hub, receiver: ReceiverProcess, options) -> tuple[list[Figure], dict]:
    from subscriptions.services import set_disabled

    events = max(10, int(options.fairness_rate * options.fairness_seconds))
    hub.start_workers(options.workers, options.threads, options.pool)
    try:
        publish_and_collect(subscribed_account("fair-warm-up", [receiver.url]), receiver, 20, 20, 60)
        progress(
            f"fairness: {events} events at {options.fairness_rate:g}/s to {HEALTHY} healthy subscriptions"
        )
        alone = publish_and_collect(
            subscribed_account("fair-alone", [receiver.url] * HEALTHY),
            receiver,
            events,
            1,
            options.timeout,
            rate=options.fairness_rate,
        )
        progress("fairness: the same beside a subscription whose endpoint hangs")
        account = subscribed_account("fair-beside", [receiver.url] * HEALTHY + [receiver.hang_url])
        beside = publish_and_collect(
            account, receiver, events, 1, options.timeout, rate=options.fairness_rate, per_event=HEALTHY
        )
        set_disabled(account.subscriptions.get(url=receiver.hang_url), True)
    finally:
        hub.stop_workers()
    ratio = beside["p99_ms"] / alone["p99_ms"]
    complete = alone["deliveries"] >= alone["expected"] and beside["deliveries"] >= beside["expected"]
    figures = [
        Figure(
            "fairness",
            "healthy p50 beside a hanging endpoint (vs alone)",
            beside["p50_ms"],
            "ms",
            alone["p50_ms"],
            beside["p50_ms"] / alone["p50_ms"],
        ),
        Figure(
            "fairness",
            "healthy p99 beside a hanging endpoint (vs alone)",
            beside["p99_ms"],
            "ms",
            alone["p99_ms"],
            ratio,
            "<= 1.5",
            complete and ratio <= 1.5,
        ),
    ]
    return figures, {"alone": alone, "beside": beside}
