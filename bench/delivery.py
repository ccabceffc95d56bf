"""Delivery benchmark: N events x K subscriptions delivered by real Celery workers to a fast receiver in
its own process, against a baseline of plain `requests.Session` threads posting the same signed bodies.

Reports hub deliveries/s (first publish to last receipt), the baseline's requests/s, and publish-to-
receipt latency p50/p99. Runs in a throwaway test database (`test_<name>` of DATABASE_URL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/eventhub CELERY_BROKER_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/delivery.py [--events 2000 --subscriptions 4 --workers 2 --threads 4]

The receiver is a small asyncio HTTP/1.1 server (keep-alive, TCP_NODELAY, headers and body written in
one send) so that the numbers measure the hub, not the receiver.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


# --- the receiver (its own process) -------------------------------------------------------------------


def serve_receiver() -> None:
    """POST anything: 200 "ok", records (webhook-id, receipt time). GET /count, GET /receipts, POST /reset."""
    receipts: list[tuple[str, float]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                headers = {k.lower(): v for k, v in headers.items()}
                length = int(headers.get("content-length", "0"))
                if length:
                    await reader.readexactly(length)
                if method == "POST" and path == "/reset":
                    receipts.clear()
                    writer.write(RESPONSE)
                elif method == "GET":
                    body = json.dumps(len(receipts) if path == "/count" else receipts).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                else:
                    receipts.append((headers.get("webhook-id", ""), time.time()))
                    writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class ReceiverProcess:
    def __init__(self):
        self.process = subprocess.Popen([sys.executable, __file__, "--serve-receiver"], stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def _call(self, method: str, path: str):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null") if method == "GET" else None

    def count(self) -> int:
        return self._call("GET", "/count")

    def receipts(self) -> list:
        return self._call("GET", "/receipts")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# --- the hub -------------------------------------------------------------------------------------------


def start_workers(count: int, threads: int, env: dict[str, str], log_dir: Path, pool: str = "threads") -> list[subprocess.Popen]:
    workers = []
    for index in range(count):
        log = open(log_dir / f"bench-worker-{index}.log", "wb")  # noqa: SIM115 (closed with the process)
        command = [
            sys.executable, "-m", "celery", "-A", "eventhub", "worker", "-Q", "default,deliveries,retries",
            "--pool", pool, "-c", str(threads), "-l", "warning", "-n", f"bench{index}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        workers.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    time.sleep(3)  # -l warning prints no "ready" line; workers consume kicks as soon as they are up anyway
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait(10)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_hub(account, receiver: ReceiverProcess, events: int, batch: int, timeout: float, rate: float | None = None) -> dict:
    """Publish `events` (in transactions of `batch`, or one by one at `rate` per second) and wait until
    the receiver has every delivery."""
    from deliveries.models import Message
    from eventhub.services.ingest import Submission, publish_batch

    receiver.reset()
    expected = events * account.subscriptions.count()
    started = time.time()
    step = 1 if rate else batch
    for offset in range(0, events, step):
        size = min(step, events - offset)
        publish_batch(account, [Submission("card.created", {"card_token": f"card_{offset + i}"}) for i in range(size)])
        if rate:
            time.sleep(max(0.0, started + (offset + 1) / rate - time.time()))
    published = time.time()
    deadline = time.monotonic() + timeout
    while (received := receiver.count()) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    finished = time.time()
    receipts = receiver.receipts()
    created = dict(Message.objects.filter(account=account).values_list("token", "created"))
    latencies = [(at - created[token].timestamp()) * 1000 for token, at in receipts if token in created]
    last = max((at for _, at in receipts), default=finished)
    return {
        "deliveries": received,
        "expected": expected,
        "publish_s": published - started,
        "seconds": last - started,
        "per_second": received / max(last - started, 1e-9),
        "p50_ms": percentile(latencies, 0.50) if latencies else float("nan"),
        "p99_ms": percentile(latencies, 0.99) if latencies else float("nan"),
    }


def run_baseline(url: str, total: int, concurrency: int) -> dict:
    """Plain requests.Session per thread, posting signed bodies like the hub's, as fast as it can."""
    import requests

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
            headers = {"Content-Type": "application/json", **signed_headers(f"msg_{index}", int(time.time()), body, [secret])}
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
    return {"deliveries": total, "seconds": seconds, "per_second": total / seconds,
            "p50_ms": statistics.median(latencies), "p99_ms": percentile(latencies, 0.99)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--threads", type=int, default=4, help="concurrency per worker (-c)")
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork"], help="Celery pool")
    parser.add_argument("--publish-batch", type=int, default=100, help="events per publish transaction")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--paced-rate", type=float, default=50, help="events/s of the paced (below capacity) latency run")
    parser.add_argument("--paced-events", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of the harness (< 1 min)")
    parser.add_argument("--serve-receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_receiver:
        serve_receiver()
        return 0
    if args.quick:
        args.events, args.paced_events = min(args.events, 200), min(args.paced_events, 100)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventhub.settings")
    os.environ.setdefault("EVENTHUB_SSRF_ALLOW", "127.0.0.1")
    os.environ.setdefault("EVENTHUB_ALLOW_HTTP_HOSTS", "127.0.0.1")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from eventhub.services.accounts import create_account
    from eventhub.services.catalog import create_event_type
    from subscriptions.services import create_subscription

    receiver = ReceiverProcess()
    databases = setup_databases(verbosity=0, interactive=False)
    workers: list[subprocess.Popen] = []
    try:
        db = connection.settings_dict
        url = f"sqlite:///{db['NAME']}" if connection.vendor == "sqlite" else (
            f"postgres://{db['USER']}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )  # fmt: skip
        env = {**os.environ, "DATABASE_URL": url, "EVENTHUB_DB_CONN_MAX_AGE": "600", "EVENTHUB_VAR_DIR": str(settings.VAR_DIR)}
        create_event_type("card.created", category="other", example={"card_token": "c1"})
        account = create_account("bench")
        for _ in range(args.subscriptions):
            create_subscription(account, url=receiver.url)
        workers = start_workers(args.workers, args.threads, env, settings.VAR_DIR, args.pool)
        warmup = create_account("warm-up")
        create_subscription(warmup, url=receiver.url)
        run_hub(warmup, receiver, 50, 50, 60)  # connections, imports, first claims
        hub = run_hub(account, receiver, args.events, args.publish_batch, args.timeout)
        paced_account = create_account("paced")
        for _ in range(args.subscriptions):
            create_subscription(paced_account, url=receiver.url)
        paced = run_hub(paced_account, receiver, args.paced_events, 1, args.timeout, rate=args.paced_rate)
        in_flight = min(args.subscriptions * settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY, args.workers * args.threads * settings.EVENTHUB_CLAIM_BATCH)
        baseline = run_baseline(receiver.url, hub["expected"], in_flight)
    finally:
        stop_workers(workers)
        receiver.stop()
        teardown_databases(databases, verbosity=0)

    print(f"\nDelivery benchmark: {args.events} events x {args.subscriptions} subscriptions = {hub['expected']} deliveries")
    print(f"database {connection.vendor}, broker {settings.CELERY_BROKER_URL.split('://')[0]}, "
          f"{args.workers} worker(s) --pool {args.pool} -c {args.threads}, claim batch {settings.EVENTHUB_CLAIM_BATCH}, "
          f"per-subscription cap {settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY}; baseline {in_flight} threads")  # fmt: skip
    print("(hub rows: p50/p99 from publish to receipt; baseline row: per request)")
    print(f"{'':32}{'deliveries':>12}{'seconds':>10}{'per second':>12}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'hub (publish -> receipt)':32}{hub['deliveries']:>12}{hub['seconds']:>10.2f}{hub['per_second']:>12.0f}{hub['p50_ms']:>10.0f}{hub['p99_ms']:>10.0f}")
    label = f"hub paced {args.paced_rate:g} events/s"
    print(f"{label:32}{paced['deliveries']:>12}{paced['seconds']:>10.2f}{paced['per_second']:>12.0f}{paced['p50_ms']:>10.0f}{paced['p99_ms']:>10.0f}")
    print(f"{'baseline requests.Session':32}{baseline['deliveries']:>12}{baseline['seconds']:>10.2f}{baseline['per_second']:>12.0f}{baseline['p50_ms']:>10.1f}{baseline['p99_ms']:>10.1f}")
    print(f"hub / baseline: {hub['per_second'] / baseline['per_second']:.0%}; publishing took {hub['publish_s']:.2f} s")
    complete = True
    for run in (hub, paced):
        if run["deliveries"] < run["expected"]:
            complete = False
            print(f"WARNING: only {run['deliveries']} of {run['expected']} deliveries arrived within {args.timeout} s")
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"delivery-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"scenario": "delivery", "args": vars(args), "database": connection.vendor,
                               "hub": hub, "paced": paced, "baseline": baseline,
                               "ratio": hub["per_second"] / baseline["per_second"]}, indent=2))  # fmt: skip
    print(f"results: {out.relative_to(REPO)}")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
