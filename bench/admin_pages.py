"""Admin list pages at a million rows: bulk-load 1,000,000 events, messages and attempts into
PostgreSQL with COPY, then time the staff pages (logged-in test client, warm cache, median of 3).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/eh_admin_bench .venv/bin/python bench/admin_pages.py [--rows N] [--keep]

The database named in DATABASE_URL is created if missing and its tables are loaded once (re-runs
reuse the rows unless --reload). Results go to stdout and bench/results/admin_pages.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/eh_admin_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventhub.settings")
os.environ.setdefault("EVENTHUB_VAR_DIR", "/tmp/eh_admin_bench_var")

SUBSCRIPTIONS = 50
EVENT_TYPES = ["card.created", "card.updated", "card.shipped", "balance.updated", "transaction.settled"]
DAYS = 14


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def load(rows: int) -> None:
    """COPY `rows` events, one message each and one attempt each, spread over the last DAYS days."""
    from django.db import connection

    from eventhub.models import Account, EventType
    from subscriptions.models import EventSubscription
    from subscriptions.secrets import encrypt_secret, new_signing_secret

    for name in EVENT_TYPES:
        EventType.objects.get_or_create(
            key=EventType.key_for(name, None),
            defaults={"name": name, "category": "other", "example": {"card_token": "c"}},
        )
    account = Account.objects.create(name="Bench Corp")
    secret = encrypt_secret(new_signing_secret())
    subscriptions = [
        EventSubscription.objects.create(
            account=account, url=f"https://hooks{i}.example.com/bench", secret_encrypted=secret
        )
        for i in range(SUBSCRIPTIONS)
    ]
    failure_rate = {s.pk: (0.6 if i < 3 else 0.08 if i < 10 else 0.005) for i, s in enumerate(subscriptions)}
    now = datetime.now(UTC)
    span = DAYS * 86400
    rng = random.Random(7)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM eventhub_event")
        first_event = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM deliveries_message")
        first_message = cursor.fetchone()[0] + 1
    started = time.monotonic()
    plan = []
    for i in range(rows):
        created = now - timedelta(seconds=span * (rows - i) / rows)
        subscription = subscriptions[rng.randrange(SUBSCRIPTIONS)]
        failed = rng.random() < failure_rate[subscription.pk]
        plan.append((created, subscription, failed, EVENT_TYPES[i % len(EVENT_TYPES)]))
    raw = connection.connection
    with raw.cursor() as cur:
        with cur.copy(
            "COPY eventhub_event (id, token, account_id, event_type, payload, created, occurred_at, processed_at, "
            "entity_type, entity_id, is_example) FROM STDIN"
        ) as copy:
            for offset, (created, _, _, type_name) in enumerate(plan):
                pk = first_event + offset
                payload = json.dumps(
                    {"event_type": type_name, "card_token": f"card_{pk}", "amount": pk % 1000}
                )
                copy.write_row(
                    (
                        pk,
                        f"evt_bench{pk:012d}",
                        account.pk,
                        type_name,
                        payload,
                        created,
                        created,
                        created,
                        "",
                        "",
                        False,
                    )
                )
        print(f"  events copied in {time.monotonic() - started:.0f} s", flush=True)
        with cur.copy(
            "COPY deliveries_message (id, token, account_id, event_id, subscription_id, status, attempt_count, schedule_step, "
            "last_attempt_at, succeeded_at, is_example, created) FROM STDIN"
        ) as copy:
            for offset, (created, subscription, failed, _) in enumerate(plan):
                pk = first_message + offset
                copy.write_row(
                    (
                        pk,
                        f"msg_bench{pk:012d}",
                        account.pk,
                        first_event + offset,
                        subscription.pk,
                        "FAILED" if failed else "SUCCESS",
                        1,
                        0,
                        created,
                        None if failed else created,
                        False,
                        created,
                    )
                )
        print(f"  messages copied in {time.monotonic() - started:.0f} s", flush=True)
        with cur.copy(
            "COPY deliveries_messageattempt (token, account_id, message_id, event_id, subscription_id, status, url, "
            "response_status_code, response_body, error, duration_ms, created) FROM STDIN"
        ) as copy:
            for offset, (created, subscription, failed, _) in enumerate(plan):
                pk = first_message + offset
                duration = int(rng.lognormvariate(5.0, 0.7)) + (3000 if failed and offset % 3 == 0 else 0)
                copy.write_row(
                    (
                        f"atmpt_bench{pk:012d}",
                        account.pk,
                        pk,
                        first_event + offset,
                        subscription.pk,
                        "FAILED" if failed else "SUCCESS",
                        subscription.url,
                        (503 if offset % 3 else 0) if failed else 200,
                        "" if not failed else "upstream unavailable",
                        "HTTP 503" if failed else "",
                        duration,
                        created,
                    )
                )
        print(f"  attempts copied in {time.monotonic() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        for table, column in (
            ("eventhub_event", "id"),
            ("deliveries_message", "id"),
            ("deliveries_messageattempt", "id"),
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT MAX({column}) FROM {table}))"
            )
        cursor.execute(
            "ANALYZE eventhub_event; ANALYZE deliveries_message; ANALYZE deliveries_messageattempt;"
        )
    print(f"loaded {rows:,} events, messages and attempts in {time.monotonic() - started:.0f} s", flush=True)


def time_pages() -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from subscriptions.models import EventSubscription

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    failing = EventSubscription.objects.order_by("id").values_list("token", flat=True).first()
    from django.db.models import Max

    from eventhub.models import Event

    middle = (Event.objects.aggregate(top=Max("pk"))["top"] or 0) // 2
    some_event = Event.objects.filter(pk__gte=middle).order_by("pk").values_list("token", flat=True).first()
    pages = [
        ("events", "/admin/eventhub/event/"),
        ("events, page 50", "/admin/eventhub/event/?p=50"),
        ("events, type + last 24 h", "/admin/eventhub/event/?event_type=card.created&created_within=24h"),
        ("events, category", "/admin/eventhub/event/?category=other"),
        ("events, search by token", f"/admin/eventhub/event/?q={some_event}"),
        ("event detail", None),
        ("messages", "/admin/deliveries/message/"),
        ("messages, failed", "/admin/deliveries/message/?status=FAILED"),
        (
            "messages, subscription + failed",
            f"/admin/deliveries/message/?subscription={failing}&status=FAILED",
        ),
        ("attempts", "/admin/deliveries/messageattempt/"),
        ("attempts, failed", "/admin/deliveries/messageattempt/?status=FAILED"),
        ("attempts, 5xx last 1 h", "/admin/deliveries/messageattempt/?code=5xx&created_within=1h"),
        ("attempts, subscription", f"/admin/deliveries/messageattempt/?subscription={failing}"),
        ("subscription change page", None),
        ("health, last hour (computed)", "/admin/deliveries/messageattempt/health/?window=1h&refresh=1"),
        ("health, last 24 h (computed)", "/admin/deliveries/messageattempt/health/?window=24h&refresh=1"),
        ("health, last 7 days (computed)", "/admin/deliveries/messageattempt/health/?window=7d&refresh=1"),
        ("health, last 7 days (cached)", "/admin/deliveries/messageattempt/health/?window=7d"),
        (
            "health, one subscription, 7 days",
            f"/admin/deliveries/messageattempt/health/?window=7d&subscription={failing}&refresh=1",
        ),
    ]
    event_pk = Event.objects.filter(token=some_event).values_list("pk", flat=True).first()
    subscription_pk = EventSubscription.objects.filter(token=failing).values_list("pk", flat=True).first()
    results = []
    for label, url in pages:
        if label == "event detail":
            url = f"/admin/eventhub/event/{event_pk}/change/"
        if label == "subscription change page":
            url = f"/admin/subscriptions/eventsubscription/{subscription_pk}/change/"
        timings = []
        for _ in range(4):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        median = statistics.median(timings[1:])  # the first request warms caches
        results.append({"page": label, "url": url, "ms": round(median * 1000, 1), "queries": len(queries)})
        print(f"{label:36} {median * 1000:8.1f} ms  {len(queries):3d} queries  {url}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--reload", action="store_true", help="load the rows again even if the tables are full"
    )
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("bench/admin_pages.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    ensure_database(url)
    setup_django()
    from eventhub.models import Event

    existing = Event.objects.count()
    if existing < args.rows or args.reload:
        print(f"loading {args.rows:,} rows (existing events: {existing:,})", flush=True)
        load(args.rows)
    else:
        print(f"reusing {existing:,} events already loaded")
    results = time_pages()
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "admin_pages.json").write_text(json.dumps({"rows": args.rows, "pages": results}, indent=2))


if __name__ == "__main__":
    main()
