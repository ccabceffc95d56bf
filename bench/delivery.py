"""Delivery scenarios: throughput against a plain-requests baseline, publish-to-receipt latency at a
steady load (by default half the measured throughput), and SQL statements per delivered message.

Throughput: N events x K subscriptions published in transactions of `--publish-batch`, timed from the
first publish to the last receipt. Baseline: `requests.Session` threads (as many as the hub can have in
flight) posting the same signed bodies to the same receiver, no database.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.common import Figure, Hub, ReceiverProcess, percentile, progress, wait_for


def publish_and_collect(
    account,
    receiver: ReceiverProcess,
    events: int,
    batch: int,
    timeout: float,
    rate: float | None = None,
    per_event: int | None = None,
) -> dict:
    """Publish `events` (in transactions of `batch`, or one by one at `rate` per second) and wait until
    the receiver has `per_event` (default: every subscription's) deliveries of each; latencies are from
    the message's creation to its receipt."""
    from deliveries.models import Message
    from eventhub.services.ingest import Submission, publish_batch

    receiver.reset()
    expected = events * (per_event or account.subscriptions.count())
    started = time.time()
    step = 1 if rate else batch
    for offset in range(0, events, step):
        size = min(step, events - offset)
        publish_batch(
            account, [Submission("card.created", {"card_token": f"card_{offset + i}"}) for i in range(size)]
        )
        if rate:
            time.sleep(max(0.0, started + (offset + 1) / rate - time.time()))
    published = time.time()
    wait_for(lambda: receiver.count() >= expected, timeout)
    receipts = receiver.receipts()
    created = dict(Message.objects.filter(account=account).values_list("token", "created"))
    latencies = [(at - created[token].timestamp()) * 1000 for token, at, _ in receipts if token in created]
    last = max((at for _, at, _ in receipts), default=time.time())
    return stages(account, receipts, created) | {
        "deliveries": len(receipts),
        "expected": expected,
        "publish_s": published - started,
        "seconds": last - started,
        "per_second": len(receipts) / max(last - started, 1e-9),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies, default=float("nan")),
    }


def stages(account, receipts: list, created: dict) -> dict:
    """Where publish->receipt goes: message created -> its first attempt began (kick, broker, task start,
    claim, load, signing: the hub's part), and attempt began -> received (the HTTP request itself)."""
    from deliveries.models import MessageAttempt

    began = {}
    for token, at in MessageAttempt.objects.filter(account=account).values_list("message__token", "created"):
        began[token] = min(began.get(token, at), at)
    # (created -> first attempt in ms, token), fastest first: the percentiles and the slowest 1 % from one list
    to_start = sorted(((began[t] - created[t]).total_seconds() * 1000, t) for t in created if t in began)
    to_start_ms = [ms for ms, _ in to_start]
    on_wire = [(at - began[t].timestamp()) * 1000 for t, at, _ in receipts if t in began]
    return {
        "slowest_to_attempt": [
            {"token": t, "created": created[t].timestamp(), "attempt_began": began[t].timestamp()}
            for _, t in to_start[-max(1, len(to_start) // 100) :]
        ],
        "to_attempt_p50_ms": percentile(to_start_ms, 0.50),
        "to_attempt_p99_ms": percentile(to_start_ms, 0.99),
        "on_wire_p50_ms": percentile(on_wire, 0.50),
        "on_wire_p99_ms": percentile(on_wire, 0.99),
    }


def run_baseline(url: str, total: int, concurrency: int) -> dict:
    """Plain requests.Session per thread, posting signed bodies like the hub's, as fast as it can."""
    from deliveries.signing import signed_headers, webhook_body
    from subscriptions.secrets import new_signing_secret

    secret = new_signing_secret()
    body = webhook_body({"card_token": "card_0", "event_type": "card.created"})
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []

    def loop() -> None:
        session = requests.Session()
        mine = []
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            begin = time.perf_counter()
            headers = {
                "Content-Type": "application/json",
                **signed_headers(f"msg_{index}", int(time.time()), body, [secret]),
            }
            session.post(url, data=body, headers=headers, timeout=15).raise_for_status()
            mine.append((time.perf_counter() - begin) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "deliveries": total,
        "seconds": seconds,
        "per_second": total / seconds,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
    }


def subscribed_account(name: str, urls: list[str]):
    from eventhub.services.accounts import create_account
    from subscriptions.services import create_subscription

    account = create_account(name)
    for url in urls:
        create_subscription(account, url=url)
    return account


def throughput_and_latency(hub: Hub, receiver: ReceiverProcess, options) -> tuple[list[Figure], dict]:
    from django.conf import settings

    from deliveries.models import MessageAttempt

    hub.start_workers(options.workers, options.threads, options.pool)
    try:
        warmup = subscribed_account("warm-up", [receiver.url])
        publish_and_collect(warmup, receiver, 50, 50, 60)  # connections, imports, first claims
        account = subscribed_account("throughput", [receiver.url] * options.subscriptions)
        progress(f"delivery: {options.events} events x {options.subscriptions} subscriptions")
        burst = publish_and_collect(account, receiver, options.events, options.publish_batch, options.timeout)
        attempts = MessageAttempt.objects.filter(account=account).count()
        rate = max(1.0, options.load * burst["per_second"] / options.subscriptions)
        paced_events = max(20, int(rate * options.paced_seconds))
        progress(
            f"latency: {paced_events} events at {rate:.0f} events/s ({options.load:.0%} of the measured throughput)"
        )
        paced_account = subscribed_account("paced", [receiver.url] * options.subscriptions)
        paced = publish_and_collect(paced_account, receiver, paced_events, 1, options.timeout, rate=rate)
        progress(
            f"latency stages: created->attempt p50 {paced['to_attempt_p50_ms']:.1f} p99 "
            f"{paced['to_attempt_p99_ms']:.1f} ms; attempt->receipt p50 {paced['on_wire_p50_ms']:.1f} p99 "
            f"{paced['on_wire_p99_ms']:.1f} ms"
        )
    finally:
        hub.stop_workers()
    in_flight = min(
        options.subscriptions * settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY,
        options.workers * options.threads * settings.EVENTHUB_CLAIM_BATCH,
    )
    progress(f"delivery baseline: {burst['expected']} posts on {in_flight} requests.Session threads")
    baseline = run_baseline(receiver.url, burst["expected"], in_flight)
    ratio = burst["per_second"] / baseline["per_second"]
    complete = burst["deliveries"] >= burst["expected"] and paced["deliveries"] >= paced["expected"]
    figures = [
        Figure(
            "delivery",
            "deliveries/s (hub vs requests.Session)",
            burst["per_second"],
            "/s",
            baseline["per_second"],
            ratio,
            ">= 0.5",
            ratio >= 0.5,
        ),
        Figure(
            "delivery",
            "every delivery received and its attempt recorded",
            attempts,
            "attempts",
            burst["expected"],
            attempts / burst["expected"],
            "= 1",
            complete and attempts == burst["expected"],
        ),
        Figure(
            "latency",
            f"p50 publish->receipt at {paced['deliveries'] / max(paced['seconds'], 1e-9):.0f} deliveries/s",
            paced["p50_ms"],
            "ms",
        ),
        Figure("latency", "p95 publish->receipt", paced["p95_ms"], "ms"),
        Figure(
            "latency",
            "p99 publish->receipt",
            paced["p99_ms"],
            "ms",
            floor="<= 100 ms",
            met=paced["p99_ms"] <= 100,
        ),
        Figure("latency", "max publish->receipt", paced["max_ms"], "ms"),
    ]
    return figures, {
        "burst": burst,
        "paced": paced,
        "baseline": baseline,
        "attempts": attempts,
        "rate": rate,
        "in_flight": in_flight,
    }


def _counted(directory: Path) -> int:
    return sum(int(p.read_text() or 0) for p in directory.glob("*.count"))


def sql_per_message(hub: Hub, receiver: ReceiverProcess, options) -> tuple[list[Figure], dict]:
    """Publish through the web API (batches of `--publish-batch`) with statement counting on in the web
    server and the workers; statements counted from just before the first publish to the last receipt."""
    from eventhub.services.accounts import issue_api_key

    directory = Path(tempfile.mkdtemp(prefix="eventhub-sql-"))
    counting = {
        "EVENTHUB_SQL_COUNT_DIR": str(directory),
        "EVENTHUB_EXTRA_APPS": "bench.sqlcount.SqlCountConfig",
    }
    events = options.sql_events
    account = subscribed_account("sql", [receiver.url] * options.subscriptions)
    key = issue_api_key(account).raw_key
    receiver.reset()
    base = hub.start_web(counting)
    hub.start_workers(options.workers, options.threads, options.pool, counting)
    try:
        session = requests.Session()
        session.headers["Authorization"] = key
        session.post(
            f"{base}/v1/events", json={"event_type": "card.created", "payload": {"card_token": "warm"}}
        ).raise_for_status()
        expected = (events + 1) * options.subscriptions
        wait_for(lambda: receiver.count() >= options.subscriptions, 60)
        time.sleep(1.0)  # the counters are written twice a second
        before = _counted(directory)
        progress(
            f"sql: {events} events x {options.subscriptions} subscriptions through POST /v1/events, statements counted"
        )
        for offset in range(0, events, options.publish_batch):
            batch = [
                {"event_type": "card.created", "payload": {"card_token": f"sql_{offset + i}"}}
                for i in range(min(options.publish_batch, events - offset))
            ]
            session.post(f"{base}/v1/events", json={"events": batch}, timeout=60).raise_for_status()
        received = wait_for(lambda: receiver.count() >= expected, options.timeout)
        time.sleep(1.5)  # last outcomes flushed, counters written
        statements = _counted(directory) - before
    finally:
        hub.stop_workers()
        hub.stop_web()
    delivered = events * options.subscriptions
    per_message = statements / delivered
    figure = Figure(
        "sql",
        "statements per delivered message (web + worker)",
        per_message,
        "stmts",
        floor="<= 4",
        met=received and per_message <= 4,
    )
    return [figure], {"statements": statements, "delivered": delivered, "complete": received}
