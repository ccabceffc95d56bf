"""The beat registry: periodic tasks are declared in code and upserted by name into django-celery-beat
(editable in admin).

Every installed app may list its entries in a `beat` module as `PERIODIC_TASKS = [{"name", "task",
"every_seconds", optional "expire_seconds", "queue", "description"}]`; `manage.py setup_beat` upserts them all.
One row per job, never per event or entity (beat stalls at tens of thousands of rows). The registry finds the
modules by name, so it imports no app above the foundation.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask


def registered_periodic_tasks() -> list[dict[str, Any]]:
    """Every installed app's PERIODIC_TASKS, in app order; a name declared twice is an error."""
    entries: dict[str, dict[str, Any]] = {}
    for app in apps.get_app_configs():
        module_name = f"{app.name}.beat"
        if importlib.util.find_spec(module_name) is None:
            continue
        for entry in getattr(importlib.import_module(module_name), "PERIODIC_TASKS", []):
            _check(entry, module_name)
            if entry["name"] in entries:
                raise ValueError(f"{module_name}: periodic task {entry['name']!r} is declared twice")
            entries[entry["name"]] = entry
    return list(entries.values())


def _check(entry: dict[str, Any], module_name: str) -> None:
    for key in ("name", "task"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ValueError(f"{module_name}: a periodic task needs a non-empty {key!r}: {entry!r}")
    every = entry.get("every_seconds")
    if isinstance(every, bool) or not isinstance(every, int) or every <= 0:
        raise ValueError(f"{module_name}: {entry['name']!r} needs a positive integer every_seconds")


@transaction.atomic
def ensure_periodic_tasks(entries: list[dict[str, Any]] | None = None) -> list[tuple[str, bool]]:
    """Upsert each entry by name (task, interval, options); returns (name, created). Running it twice changes nothing.

    An operator's `enabled` choice in the admin is kept; the schedule itself is declared in code.
    """
    results = []
    for entry in registered_periodic_tasks() if entries is None else entries:
        _check(entry, "entries")
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=entry["every_seconds"], period=IntervalSchedule.SECONDS
        )
        wanted = {
            "task": entry["task"],
            "interval": interval,
            "expire_seconds": entry.get("expire_seconds"),
            "queue": entry.get("queue"),
            "description": entry.get("description", ""),
        }
        task = PeriodicTask.objects.filter(name=entry["name"]).first()
        if task is None:
            PeriodicTask.objects.create(name=entry["name"], enabled=True, **wanted)
            results.append((entry["name"], True))
            continue
        changed = [k for k, v in wanted.items() if getattr(task, k) != v]
        if changed or task.crontab_id or task.solar_id or task.clocked_id:
            for key, value in wanted.items():
                setattr(task, key, value)
            task.crontab = task.solar = task.clocked = None
            task.save()
        results.append((entry["name"], False))
    return results
