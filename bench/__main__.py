"""`python -m bench [--quick] [--scenario NAME ...]`: the benchmark harness.

Starts what it needs on 127.0.0.1 (a receiver process, the hub's Celery workers and web server on a
throwaway test database; PostgreSQL + Redis through DATABASE_URL / CELERY_BROKER_URL, as `make bench`
sets them), runs the scenarios, prints one table with each figure beside its same-run baseline and the
floor it is held to, and writes the JSON to bench/results/. Exit status 1 when a scenario could not
finish (a harness failure); floors not met are reported in the table, not as an error.

Scenarios: delivery (throughput + latency), sql, ingest, backlog, fairness, reads, and the front door
(bench/front_door.py): ingest-single, e2e-single, web-memory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.common import REPO, Figure, progress
from bench.machine import MachineReading

SCENARIOS = [
    "delivery",
    "sql",
    "ingest",
    "ingest-single",
    "e2e-single",
    "backlog",
    "fairness",
    "reads",
    "web-memory",
]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario", action="append", choices=SCENARIOS, help="run only these (repeatable); default all"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke run of the harness (< 2 min)"
    )
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes (make run: 1)")
    parser.add_argument("--threads", type=int, default=8, help="concurrency per worker, -c (make run: 8)")
    parser.add_argument(
        "--pool", default="threads", choices=["threads", "prefork"], help="Celery pool (make run: threads)"
    )
    parser.add_argument(
        "--subscriptions", type=int, default=4, help="subscriptions per event in the delivery scenarios"
    )
    parser.add_argument("--events", type=int, default=3000, help="events of the throughput run")
    parser.add_argument(
        "--publish-batch", type=int, default=100, help="events per publish transaction / API batch"
    )
    parser.add_argument(
        "--load",
        type=float,
        default=0.5,
        help="latency run's offered load, as a fraction of the measured throughput",
    )
    parser.add_argument("--paced-seconds", type=float, default=15, help="length of the latency run")
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=None,
        help="e2e-single latency run's events/s instead of --load x the measured rate (A/B runs at equal load)",
    )
    parser.add_argument("--sql-events", type=int, default=1000)
    parser.add_argument(
        "--ingest-events",
        type=int,
        default=5000,
        help="events per ingest run (5 matching subscriptions each)",
    )
    parser.add_argument(
        "--ingest-batch", type=int, default=500, help="events per POST /v1/events batch (max 1000)"
    )
    parser.add_argument(
        "--ingest-clients", type=int, default=4, help="concurrent API clients in the ingest runs"
    )
    parser.add_argument(
        "--producers",
        type=int,
        nargs="+",
        default=[8, 32],
        help="producer threads of the single-publish scenarios",
    )
    parser.add_argument(
        "--single-events", type=int, default=2000, help="events per run of ingest-single and e2e-single"
    )
    parser.add_argument(
        "--memory-publishes",
        type=int,
        nargs=2,
        default=[1000, 100_000],
        metavar=("SMALL", "LARGE"),
        help="web-memory: RSS after SMALL and after LARGE single publishes",
    )
    parser.add_argument(
        "--memory-seconds", type=float, default=600, help="web-memory: longest time for the LARGE publishes"
    )
    parser.add_argument("--backlog", type=int, nargs=2, default=[1000, 100_000], metavar=("SMALL", "LARGE"))
    parser.add_argument(
        "--fairness-rate", type=float, default=20, help="events/s to the healthy subscriptions"
    )
    parser.add_argument("--fairness-seconds", type=float, default=15)
    parser.add_argument("--reads", type=int, nargs=2, default=[10_000, 1_000_000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--timeout", type=float, default=300, help="longest wait for a run's deliveries")
    parser.add_argument("--serve-receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.paced_seconds, args.sql_events = min(args.events, 400), 4, min(args.sql_events, 200)
        args.ingest_events, args.backlog, args.reads = (
            min(args.ingest_events, 500),
            [200, 2000],
            [2500, 25_000],
        )
        args.fairness_seconds = 4
        args.single_events, args.memory_publishes = min(args.single_events, 150), [100, 400]
    return args


def print_table(figures: list[Figure], header: str) -> None:
    print(f"\n{header}")
    print(f"{'scenario':10}{'figure':58}{'value':>12}{'baseline':>12}{'ratio':>8}  {'floor':12}{'met':>4}")
    for f in figures:
        baseline = f"{f.baseline:12.1f}" if f.baseline is not None else " " * 12
        ratio = f"{f.ratio:8.2f}" if f.ratio is not None else " " * 8
        met = {True: "yes", False: "NO", None: ""}[f.met]
        print(
            f"{f.scenario:10}{f.name[:57]:58}{f.value:>12.1f}{baseline}{ratio}  {f.floor:12}{met:>4}  {f.unit}"
        )


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.serve_receiver:
        from bench.common import serve_receiver

        serve_receiver()
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventhub.settings")
    os.environ.setdefault("EVENTHUB_SSRF_ALLOW", "127.0.0.1")
    os.environ.setdefault("EVENTHUB_ALLOW_HTTP_HOSTS", "127.0.0.1")
    os.environ.setdefault("EVENTHUB_DEBUG", "0")  # measured as production runs: no query log, no debug pages
    os.environ.setdefault("EVENTHUB_RATE_LIMIT", "100000000/min")  # the harness is its own only client
    # Production shares the rate-limit counters in Redis (docs/deploy.md), not in the database table that
    # the embedded default uses: with a Redis broker and no cache URL, the cache lives beside the broker
    # (its keys carry Django's prefix, the broker's do not).
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith("redis"):
        os.environ.setdefault("EVENTHUB_CACHE_URL", broker)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from bench import backlog, delivery, fairness, front_door, ingest, reads
    from bench.common import Hub, ReceiverProcess
    from eventhub.services.catalog import create_event_type

    runners = {
        "delivery": delivery.throughput_and_latency,
        "sql": delivery.sql_per_message,
        "ingest": ingest.run,
        "backlog": backlog.run,
        "fairness": fairness.run,
        "reads": reads.run,
        "ingest-single": front_door.ingest_single,
        "e2e-single": front_door.e2e_single,
        "web-memory": front_door.web_memory,
    }
    chosen = args.scenario or SCENARIOS
    log_dir = Path(tempfile.mkdtemp(prefix="eventhub-bench-"))
    machine = MachineReading.start()  # before any process of the run takes a core
    started = time.monotonic()
    figures: list[Figure] = []
    details: dict = {}
    failed: list[str] = []
    receiver = ReceiverProcess()
    hub = Hub(log_dir)
    try:
        create_event_type("card.created", category="other", example={"card_token": "c1"})
        hub.start_beat()
        for name in chosen:
            progress(f"scenario {name}")
            try:
                found, details[name] = runners[name](hub, receiver, args)
                figures.extend(found)
            except Exception:  # report and go on: one broken scenario must not hide the others' figures
                failed.append(name)
                details[name] = {"error": traceback.format_exc()}
                progress(f"scenario {name} failed:\n{traceback.format_exc()}")
    finally:
        hub.close()
        receiver.stop()
    machine.finish()

    header = (
        f"EventHub benchmark ({'quick' if args.quick else 'full'}): database {connection.vendor}, broker "
        f"{settings.CELERY_BROKER_URL.split('://')[0]}, {args.workers} worker(s) --pool {args.pool} -c {args.threads}, "
        f"claim batch {settings.EVENTHUB_CLAIM_BATCH}, per-subscription cap {settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY}; "
        f"{time.monotonic() - started:.0f} s"
    )
    print_table(figures, header)
    print(machine.summary())
    unmet = [f"{f.scenario}: {f.name}" for f in figures if f.met is False]
    print(
        f"floors met: {sum(f.met is True for f in figures)} of {sum(f.met is not None for f in figures)}"
        + (f"; not met: {'; '.join(unmet)}" if unmet else "")
    )
    if failed:
        print(f"scenarios that failed to run: {', '.join(failed)} (tracebacks above and in the JSON)")
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"bench-{time.strftime('%Y%m%dT%H%M%S')}{'-quick' if args.quick else ''}.json"
    payload = {
        "header": header,
        "machine": machine.as_dict(),
        "args": {k: v for k, v in vars(args).items() if k != "serve_receiver"},
        "figures": [f.as_dict() for f in figures],
        "details": details,
        "failed": failed,
    }
    out.write_text(json.dumps(payload, indent=2, default=str))
    print(f"results: {out.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
