"""CPU per one-event `POST /v1/events`, measured in-process (Django's test client into the real view, on
the configured database), so it holds on a loaded machine where wall-clock rates do not. Prints the CPU
time per request and, with --profile, the top cumulative entries of a cProfile run
timed by CPU (waits on PostgreSQL and Redis are not counted).

    DATABASE_URL=postgres://... EVENTHUB_CACHE_URL=redis://... python -m bench.publish_cpu --requests 2000

The database must be migrated; each run creates a fresh account with 5 matching subscriptions.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventhub.settings")
os.environ.setdefault("EVENTHUB_RATE_LIMIT", "100000000/min")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the median is printed")
    parser.add_argument("--profile", type=int, default=0, help="print the top N cProfile entries")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.test import Client

    from eventhub.models import EventType
    from eventhub.services.accounts import create_account_with_key
    from eventhub.services.catalog import create_event_type
    from subscriptions.services import create_subscription

    account, issued = create_account_with_key(f"cpu-{time.time_ns()}")
    if not EventType.objects.filter(name="bench.cpu", account=None).exists():
        create_event_type("bench.cpu", category="other", example={"n": 1})
    for n in range(5):
        create_subscription(account, url=f"http://127.0.0.1:9/hook{n}")
    client = Client(HTTP_AUTHORIZATION=issued.raw_key)
    body = json.dumps({"event_type": "bench.cpu", "payload": {"card_token": "c1", "amount": 12, "n": [1, 2]}})

    def publish_many(count: int) -> float:
        start = time.process_time()
        for _ in range(count):
            response = client.post("/v1/events", body, content_type="application/json")
            assert response.status_code == 201, response.content
        return (time.process_time() - start) / count * 1000

    publish_many(50)  # warm: the memo, the connection, imports
    rounds = [publish_many(args.requests) for _ in range(args.rounds)]
    print(
        f"CPU ms per publish: median {statistics.median(rounds):.3f} (rounds {', '.join(f'{r:.3f}' for r in rounds)})"
    )
    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not waits
        profiler.enable()
        publish_many(args.requests)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
