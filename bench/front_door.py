"""Front-door scenarios: one event per request from many producer threads, as a product publishes one
event per business action, through the production web server (gunicorn, `eventhub/gunicorn_conf.py`).

- `ingest-single`: P producer threads (P = 8 and 32, `--producers`), keep-alive connections, one
  event per `POST /v1/events`, 5 matching subscriptions, no worker running. Baseline from the same run:
  psycopg writing the same rows (the event and its 5 messages, into the real tables, so with their
  indexes and foreign keys) one transaction per event on P connections.
- `e2e-single`: the same producers, 2 subscriptions each, the worker running; deliveries/s from the
  first publish to the last receipt against the plain `requests.Session` loop (as many threads as the
  hub can have in flight) into the same receiver process; then publish-to-receipt p50/p99 with the
  producers paced at `--load` (50 %) of the measured event rate. Publish time is the producer's clock
  just before it sends the request, receipt the receiver's (one machine, one clock).
- `web-memory`: resident memory of the web server (master and workers) after 1,000 and after 100,000
  single publishes (`--memory-publishes`), one server process tree throughout; bounded by
  `--memory-seconds` (the figure names the count actually reached).

The producers use `http.client` (lighter than requests) so that the client's own CPU, which shares
the machine with the server, is as small a part of the figure as it can be.
"""

from __future__ import annotations

import http.client
import json
import threading
import time

from bench.common import Figure, Hub, ReceiverProcess, percentile, progress, rss_bytes, wait_for
from bench.delivery import run_baseline, stages, subscribed_account

INGEST_SUBSCRIPTIONS = 5
E2E_SUBSCRIPTIONS = 2


class Producers:
    """P threads, each with one keep-alive connection, posting single events; per request: the send
    time (wall clock), the latency and the event token the hub answered with."""

    def __init__(self, base: str, key: str, count: int):
        self.host, self.port = base.removeprefix("http://").split(":")
        self.key, self.count = key, count

    def run(self, total: int, prefix: str, rate: float | None = None, deadline: float | None = None) -> dict:
        """Publish `total` events (as fast as the producers can, or one every 1/rate s on a shared
        schedule); stop early at `deadline` (monotonic). Returns timings and the sent events."""
        counter = iter(range(total))
        lock = threading.Lock()
        sent: list[tuple[str, float, float]] = []  # (event token, wall-clock send time, latency ms)
        errors: list[str] = []
        started = time.monotonic()
        wall_started = time.time()

        def loop() -> None:
            connection = http.client.HTTPConnection(self.host, int(self.port), timeout=120)
            headers = {"Authorization": self.key, "Content-Type": "application/json"}
            mine = []
            try:
                while not errors:
                    with lock:
                        index = next(counter, None)
                    if index is None or (deadline is not None and time.monotonic() > deadline):
                        break
                    if rate:
                        time.sleep(max(0.0, started + index / rate - time.monotonic()))
                    body = json.dumps(
                        {"event_type": "card.created", "payload": {"card_token": f"{prefix}_{index}"}}
                    )
                    at, begin = time.time(), time.perf_counter()
                    connection.request("POST", "/v1/events", body=body, headers=headers)
                    response = connection.getresponse()
                    answer = response.read()
                    latency = (time.perf_counter() - begin) * 1000
                    if response.status not in (200, 201):
                        errors.append(f"{response.status} {answer[:300]!r}")
                        break
                    mine.append((json.loads(answer)["token"], at, latency))
            except Exception as exc:  # noqa: BLE001 (reported to the caller, which raises)
                errors.append(repr(exc))
            finally:
                connection.close()
                with lock:
                    sent.extend(mine)

        threads = [threading.Thread(target=loop) for _ in range(self.count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        if errors:
            raise RuntimeError(f"a producer's publish failed: {errors[0]}")
        latencies = [latency for _, _, latency in sent]
        return {
            "events": len(sent),
            "seconds": seconds,
            "per_second": len(sent) / seconds,
            "p50_ms": percentile(latencies, 0.50),
            "p99_ms": percentile(latencies, 0.99),
            "started": wall_started,
            "sent": sent,
        }


# --- ingest-single ---------------------------------------------------------------------------------------


def _conninfo() -> str:
    from django.db import connection

    db = connection.settings_dict
    parts = {
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db.get("PASSWORD") or "",
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def psycopg_baseline(account, subscriptions, events: int, connections: int) -> dict:
    """The same rows the hub writes for one event with N subscriptions (the event and N messages, into
    the real tables: same indexes, same foreign keys), one transaction per event, on `connections`
    psycopg connections: INSERT the event RETURNING id, INSERT its messages in one statement, COMMIT.
    Rows are built before the clock starts; everything written is deleted afterwards."""
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from bench.ingest import _row
    from deliveries.models import Message, MessageStatus
    from eventhub.models import Event

    if connection.vendor != "postgresql":
        raise RuntimeError(
            "the ingest-single baseline is psycopg on PostgreSQL; set DATABASE_URL to PostgreSQL"
        )
    event_fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    message_fields = [
        f for f in Message._meta.concrete_fields if not f.primary_key and f.attname != "event_id"
    ]
    event_sql = (
        f"INSERT INTO {Event._meta.db_table} ({', '.join(f.column for f in event_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(event_fields))}) RETURNING id"
    )
    row_sql = f"(%s, {', '.join(['%s'] * len(message_fields))})"
    message_sql = (
        f"INSERT INTO {Message._meta.db_table} (event_id, {', '.join(f.column for f in message_fields)}) "
        f"VALUES {', '.join([row_sql] * len(subscriptions))}"
    )
    now = timezone.now()
    work = []
    for index in range(events):
        event = Event(
            account=account,
            event_type_id="card.created",
            payload={"card_token": f"pg_{index}", "event_type": "card.created"},
            created=now,
            occurred_at=now,
            processed_at=now,
        )
        messages = [
            _row(
                Message(
                    account=account,
                    subscription=s,
                    status=MessageStatus.PENDING,
                    next_attempt_at=now,
                    created=now,
                ),
                message_fields,
            )
            for s in subscriptions
        ]
        work.append((_row(event, event_fields), messages))
    queue = iter(work)
    lock = threading.Lock()
    errors: list[str] = []
    ids: list[int] = []
    conninfo = _conninfo()
    opened = [psycopg.connect(conninfo) for _ in range(connections)]

    def loop(conn) -> None:
        mine = []
        try:
            with conn.cursor() as cursor:
                while True:
                    with lock:
                        item = next(queue, None)
                    if item is None:
                        break
                    event_row, message_rows = item
                    cursor.execute(event_sql, event_row)
                    event_id = cursor.fetchone()[0]
                    cursor.execute(message_sql, [v for row in message_rows for v in (event_id, *row)])
                    conn.commit()
                    mine.append(event_id)
        except Exception as exc:  # noqa: BLE001 (reported to the caller, which raises)
            errors.append(repr(exc))
        with lock:
            ids.extend(mine)

    threads = [threading.Thread(target=loop, args=(c,)) for c in opened]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    for conn in opened:
        conn.close()
    Event.objects.filter(id__in=ids).delete()
    if errors:
        raise RuntimeError(f"the psycopg baseline failed: {errors[0]}")
    return {"events": len(ids), "seconds": seconds, "per_second": len(ids) / seconds}


def ingest_single(hub: Hub, receiver: ReceiverProcess, options) -> tuple[list[Figure], dict]:
    from deliveries.models import Message
    from eventhub.models import Event
    from eventhub.services.accounts import issue_api_key

    account = subscribed_account("ingest-single", [receiver.url] * INGEST_SUBSCRIPTIONS)
    subscriptions = list(account.subscriptions.all())
    key = issue_api_key(account).raw_key
    events = options.single_events
    figures, details = [], {}
    base = hub.start_web()
    try:
        Producers(base, key, 4).run(40, "warm")
        for producers in options.producers:
            progress(f"ingest-single: {events} single POSTs from {producers} producers")
            hub_run = Producers(base, key, producers).run(events, f"p{producers}")
            written = Message.objects.filter(account=account).count()
            expected = (40 + events) * INGEST_SUBSCRIPTIONS
            Event.objects.filter(account=account).delete()  # messages cascade; the next run starts clean
            progress(f"ingest-single baseline: psycopg, one transaction per event, {producers} connections")
            baseline = psycopg_baseline(account, subscriptions, events, producers)
            ratio = hub_run["per_second"] / baseline["per_second"]
            floor = {"floor": ">= 0.3", "met": ratio >= 0.3} if producers == 8 else {}
            figures += [
                Figure(
                    "ingest-1",
                    f"events/s, P={producers} single POSTs vs psycopg 1 tx/event",
                    hub_run["per_second"],
                    "/s",
                    baseline["per_second"],
                    ratio,
                    **floor,
                ),
                Figure("ingest-1", f"publish latency p50, P={producers}", hub_run["p50_ms"], "ms"),
                Figure("ingest-1", f"publish latency p99, P={producers}", hub_run["p99_ms"], "ms"),
            ]
            hub_run.pop("sent")
            details[f"P{producers}"] = {
                "hub": hub_run,
                "baseline": baseline,
                "messages": written,
                "expected_messages": expected,
            }
            Producers(base, key, 4).run(40, "warm")  # the next run's count includes these 40 again
    finally:
        hub.stop_web()
        Event.objects.filter(account=account).delete()
    complete = all(d["messages"] == d["expected_messages"] for d in details.values())
    figures.append(
        Figure(
            "ingest-1",
            "messages written per event",
            INGEST_SUBSCRIPTIONS if complete else 0,
            "msgs",
            INGEST_SUBSCRIPTIONS,
            1.0 if complete else 0.0,
            "= 1",
            complete,
        )
    )
    return figures, details


# --- e2e-single ------------------------------------------------------------------------------------------


def _paced_figures(account, receiver: ReceiverProcess, sent: list) -> tuple[list[float], dict]:
    """Publish-to-receipt in ms for every delivery (the receipt, by the receiver's clock, minus the send
    time of the request that published its event, by the producer's), and its split into stages; one
    read of the account's messages serves both."""
    from deliveries.models import Message

    sent_at = {token: at for token, at, _ in sent}
    messages = Message.objects.filter(account=account).values_list("token", "event__token", "created")
    event_of = {token: event for token, event, _ in messages}
    created = {token: at for token, _, at in messages}
    receipts = receiver.receipts()
    latencies = [
        (at - sent_at[event_of[token]]) * 1000
        for token, at, _ in receipts
        if token in event_of and event_of[token] in sent_at
    ]
    split = stages(account, receipts, created)
    to_created = [
        (created[token].timestamp() - sent_at[event]) * 1000
        for token, event in event_of.items()
        if event in sent_at
    ]
    split["to_created_p50_ms"], split["to_created_p99_ms"] = (
        percentile(to_created, 0.5),
        percentile(to_created, 0.99),
    )
    progress(
        f"e2e-single latency stages: publish->created p50 {split['to_created_p50_ms']:.1f} p99 "
        f"{split['to_created_p99_ms']:.1f} ms; created->attempt p50 {split['to_attempt_p50_ms']:.1f} p99 "
        f"{split['to_attempt_p99_ms']:.1f} ms; attempt->receipt p50 {split['on_wire_p50_ms']:.1f} p99 "
        f"{split['on_wire_p99_ms']:.1f} ms"
    )
    return latencies, split


def e2e_single(hub: Hub, receiver: ReceiverProcess, options) -> tuple[list[Figure], dict]:
    from django.conf import settings

    from eventhub.services.accounts import issue_api_key

    figures, details = [], {}
    events = options.single_events
    hub.start_workers(options.workers, options.threads, options.pool)
    base = hub.start_web()
    try:
        warm = subscribed_account("e2e-warm", [receiver.url] * E2E_SUBSCRIPTIONS)
        receiver.reset()
        Producers(base, issue_api_key(warm).raw_key, 4).run(40, "warm")
        wait_for(lambda: receiver.count() >= 40 * E2E_SUBSCRIPTIONS, options.timeout)
        for producers in options.producers:
            account = subscribed_account(f"e2e-p{producers}", [receiver.url] * E2E_SUBSCRIPTIONS)
            key = issue_api_key(account).raw_key
            expected = events * E2E_SUBSCRIPTIONS
            receiver.reset()
            progress(
                f"e2e-single: {events} single POSTs x {E2E_SUBSCRIPTIONS} subscriptions from {producers} producers"
            )
            burst = Producers(base, key, producers).run(events, f"e2e{producers}")
            received = wait_for(lambda e=expected: receiver.count() >= e, options.timeout)
            receipts = receiver.receipts()
            last = max((at for _, at, _ in receipts), default=time.time())
            delivered_rate = len(receipts) / max(last - burst["started"], 1e-9)
            event_rate = delivered_rate / E2E_SUBSCRIPTIONS
            rate = options.paced_rate or max(1.0, options.load * event_rate)
            paced_events = max(20, int(rate * options.paced_seconds))
            paced_account = subscribed_account(f"e2e-paced-p{producers}", [receiver.url] * E2E_SUBSCRIPTIONS)
            paced_key = issue_api_key(paced_account).raw_key
            receiver.reset()
            progress(
                f"e2e-single latency: {paced_events} events at {rate:.0f}/s "
                f"({'fixed' if options.paced_rate else f'{options.load:.0%}'}) from {producers} producers"
            )
            paced = Producers(base, paced_key, producers).run(paced_events, f"paced{producers}", rate=rate)
            paced_received = wait_for(
                lambda e=paced_events: receiver.count() >= e * E2E_SUBSCRIPTIONS, options.timeout
            )
            latencies, split = _paced_figures(paced_account, receiver, paced["sent"])
            in_flight = min(
                E2E_SUBSCRIPTIONS * settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY,
                options.workers * options.threads * settings.EVENTHUB_CLAIM_BATCH,
            )
            baseline = run_baseline(receiver.url, expected, in_flight)
            ratio = delivered_rate / baseline["per_second"]
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
            floors = producers == options.producers[0]
            figures += [
                Figure(
                    "e2e-1",
                    f"deliveries/s, P={producers} single POSTs x{E2E_SUBSCRIPTIONS} vs requests",
                    delivered_rate,
                    "/s",
                    baseline["per_second"],
                    ratio,
                    **({"floor": ">= 0.5", "met": ratio >= 0.5 and received} if floors else {}),
                ),
                Figure("e2e-1", f"p50 publish->receipt at {rate:.0f} events/s, P={producers}", p50, "ms"),
                Figure(
                    "e2e-1",
                    f"p99 publish->receipt at {rate:.0f} events/s, P={producers}",
                    p99,
                    "ms",
                    **({"floor": "<= 100 ms", "met": p99 <= 100 and paced_received} if floors else {}),
                ),
            ]
            for run in (burst, paced):
                run.pop("sent")
            details[f"P{producers}"] = {
                "burst": burst,
                "received": len(receipts),
                "expected": expected,
                "complete": received,
                "deliveries_per_second": delivered_rate,
                "paced": paced,
                "paced_rate": rate,
                "paced_received": len(latencies),
                "paced_expected": paced_events * E2E_SUBSCRIPTIONS,
                "p50_ms": p50,
                "p99_ms": p99,
                "stages": split,
                "baseline": baseline,
                "in_flight": in_flight,
            }
    finally:
        hub.stop_web()
        hub.stop_workers()
    return figures, details


# --- web-memory ------------------------------------------------------------------------------------------


def web_memory(hub: Hub, receiver: ReceiverProcess, options) -> tuple[list[Figure], dict]:
    """RSS of the web server's process tree after SMALL and after LARGE single publishes (one
    subscription each; no worker runs, the messages are deleted afterwards)."""
    from eventhub.models import Event
    from eventhub.services.accounts import issue_api_key

    small, large = options.memory_publishes
    account = subscribed_account("web-memory", [receiver.url])
    key = issue_api_key(account).raw_key
    producers = max(options.producers)
    base = hub.start_web()
    try:
        progress(f"web-memory: {small} single publishes from {producers} producers")
        first = Producers(base, key, producers).run(small, "m1")
        time.sleep(0.5)
        rss_small = rss_bytes(hub.web.pid)
        deadline = time.monotonic() + options.memory_seconds
        progress(f"web-memory: up to {large - small} more (at most {options.memory_seconds:.0f} s)")
        second = Producers(base, key, producers).run(large - small, "m2", deadline=deadline)
        time.sleep(0.5)
        rss_large = rss_bytes(hub.web.pid)
    finally:
        hub.stop_web()
        Event.objects.filter(account=account).delete()
    reached = first["events"] + second["events"]
    ratio = rss_large / rss_small
    figure = Figure(
        "web-mem",
        f"web RSS after {reached} vs {first['events']} publishes",
        rss_large / 2**20,
        "MB",
        rss_small / 2**20,
        ratio,
        "<= 1.2",
        ratio <= 1.2,
    )
    return [figure], {
        "small": first["events"],
        "large": reached,
        "rss_small": rss_small,
        "rss_large": rss_large,
        "rate": second["per_second"],
    }
