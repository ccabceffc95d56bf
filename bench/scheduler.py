"""Scheduler benchmark: N entities x M scheduled event configurations (default 100,000 x 5).

Measures one `run_scheduler` pass that plans every occurrence from scratch (new configurations), an
incremental pass after 1,000 entity updates, an idle pass and the daily full reconciliation; a slice of the entities is due at once
so firing is measured too. Runs in a throwaway test database (`test_<name>` of DATABASE_URL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/eventhub .venv/bin/python bench/scheduler.py [--entities N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

FIELDS = [("endDate", -30), ("endDate", -7), ("startDate", 1), ("renewalDate", 0), ("terms.end", -1)]
DUE_NOW = 200  # entities whose first configuration is due during the measured run


def seed(account, entities: int, configurations: int = 5) -> list:
    """Bulk-load entity states (as ingest would leave them) and create the configurations."""
    from django.utils import timezone

    from eventhub.models import Entity, EventType
    from eventhub.services.catalog import create_event_type
    from scheduled_events.services import create_configuration

    for action in ("created", "updated", "deleted"):
        if not EventType.objects.filter(name=f"configuration.commitment.{action}").exists():
            create_event_type(f"configuration.commitment.{action}", category="configuration")
    now = timezone.now()
    rows = []
    for index in range(entities):
        # Not due during the run however long it takes: the earliest (endDate - 30 days) is a day away.
        end = (
            now + timedelta(days=31 + index % 365, minutes=index % 1440)
            if index >= DUE_NOW
            else now + timedelta(days=30)
        )
        rows.append(
            Entity(
                account=account,
                entity_type="commitment",
                entity_id=f"commitment-{index}",
                state_at=now,
                data={
                    "id": f"commitment-{index}",
                    "amount": index,
                    "endDate": end.isoformat(),
                    "startDate": (now + timedelta(days=index % 90)).date().isoformat(),
                    "renewalDate": (end + timedelta(days=1)).isoformat(),
                    "terms": {"end": end.date().isoformat()},
                },
            )
        )
    Entity.objects.bulk_create(rows, batch_size=5000)
    return [
        create_configuration(
            account, name=f"scheduled.commitment.bench{i}", entity="Commitment", field=field, offset=offset
        )
        for i, (field, offset) in enumerate((FIELDS * (configurations // len(FIELDS) + 1))[:configurations])
    ]


def measure(account, entities: int, configurations: int = 5, say=print) -> dict[str, float]:
    """Seed, then time the scheduler passes; returns seconds per phase."""
    from django.utils import timezone

    from eventhub.services.ingest import publish
    from scheduled_events.models import ScheduledOccurrence, SchedulerState
    from scheduled_events.services import run_scheduler

    timings: dict[str, float] = {}
    started = time.perf_counter()
    seed(account, entities, configurations)
    timings["seed"] = time.perf_counter() - started
    say(f"seeded {entities:,} entities and {configurations} configurations in {timings['seed']:.1f} s")

    started = time.perf_counter()
    report = run_scheduler(timezone.now())
    timings["full"] = time.perf_counter() - started
    planned = ScheduledOccurrence.objects.filter(account=account).count()
    say(
        f"full pass: {timings['full']:.1f} s ({report.planning.entities:,} entity rows read, {planned:,} occurrences, {report.fired} fired)"
    )

    for index in range(1000):
        publish(
            account,
            "configuration.commitment.updated",
            {"id": f"commitment-{DUE_NOW + index * 7}", "endDate": "2031-01-01"},
        )
    started = time.perf_counter()
    report = run_scheduler(timezone.now())
    timings["incremental"] = time.perf_counter() - started
    say(
        f"incremental pass after 1,000 updates: {timings['incremental']:.2f} s ({report.planning.cancelled:,} moved)"
    )

    started = time.perf_counter()
    run_scheduler(timezone.now())
    timings["idle"] = time.perf_counter() - started
    say(f"idle pass: {timings['idle']:.2f} s")

    SchedulerState.objects.update(full_pass_at=None)  # what the daily reconciliation costs
    started = time.perf_counter()
    report = run_scheduler(timezone.now())
    timings["reconcile"] = time.perf_counter() - started
    say(f"daily reconciliation pass: {timings['reconcile']:.1f} s ({report.planning.created:,} created)")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--configurations", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventhub.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from eventhub.services.accounts import create_account

    databases = setup_databases(verbosity=1, interactive=False)
    try:
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        measure(create_account("bench"), args.entities, args.configurations)
    finally:
        teardown_databases(databases, verbosity=1)


if __name__ == "__main__":
    main()
