"""Occurrence planning: one row per (configuration, entity, fire time), kept in line with entity states.

A run replans every entity changed since the watermark (minus an overlap for transactions that
committed late) for the configurations already planned, and every entity for configurations that are
new or changed (`planned_version` behind `version`), plus a full reconciliation once a day. Reads go
in keyset batches with the date field extracted in SQL; writes are bulk. Only one run plans at a time
(a lease on the SchedulerState row), so two planners never undo each other's moves.

"Future only": without `backfill`, an occurrence is planned only when its fire time is on or after
the UTC day on which the hub learned of it (the later of the configuration's last change and the
entity's); offsets are whole days, so a date-only value fires on its day. Occurrences already planned
stay planned (they fire late if the scheduler was down).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone

from eventhub.models import Entity
from eventhub.timeparse import parse_datetime_value
from scheduled_events.models import ScheduledEventConfiguration, ScheduledOccurrence, SchedulerState

PLANNER = "planner"
BATCH = 2000


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


@dataclass
class PlanReport:
    entities: int = 0
    created: int = 0
    cancelled: int = 0
    restored: int = 0
    full_pass: bool = False


def fire_time(value: object, offset_days: int) -> datetime | None:
    """`<date field> + offset days` for an ISO 8601 date (midnight UTC) or date-time; None otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # as SQL extracts it in the planner (`20310101` is a basic ISO date)
    parsed = parse_datetime_value(value) if isinstance(value, str) else None
    if parsed is None:
        return None
    try:
        return parsed + timedelta(days=offset_days)
    except OverflowError:
        return None


def _day_start(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time.min, tzinfo=UTC)


def field_lookup(field: str) -> KT:
    return KT("data__" + field.replace(".", "__"))


def plan_occurrences() -> PlanReport | None:
    """Replan what changed since the last run; None when another run holds the planning lease."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    state = _acquire_lease(owner)
    if state is None:
        return None
    started = timezone.now()
    report = PlanReport()
    done = {"lease_until": None, "lease_owner": ""}
    try:
        _plan_all(state, started, report)
        done.update(watermark=started, **({"full_pass_at": started} if report.full_pass else {}))
    finally:  # on failure the watermark stays, so the next run replans the same window
        SchedulerState.objects.filter(name=PLANNER, lease_owner=owner).update(**done)
    return report


def _plan_all(state: SchedulerState, started: datetime, report: PlanReport) -> None:
    configs = list(ScheduledEventConfiguration.objects.all())
    full_every = timedelta(hours=_setting("EVENTHUB_SCHEDULER_FULL_PASS_HOURS", 24))
    report.full_pass = (
        state.watermark is None or state.full_pass_at is None or state.full_pass_at < started - full_every
    )
    stale = [c for c in configs if report.full_pass or c.planned_version != c.version]
    stale_ids = {c.pk for c in stale}
    fresh = [c for c in configs if c.active and c.pk not in stale_ids]
    for config in stale:
        if not config.active:
            report.cancelled += ScheduledOccurrence.objects.filter(
                configuration=config, fired_at__isnull=True, cancelled=False
            ).update(cancelled=True)
    _plan(Entity.objects.all(), [c for c in stale if c.active], report)
    if fresh:
        overlap = timedelta(seconds=_setting("EVENTHUB_SCHEDULER_OVERLAP_SECONDS", 300))
        _plan(Entity.objects.filter(last_event__created__gt=state.watermark - overlap), fresh, report)
    for config in stale:  # a configuration changed meanwhile keeps its newer version and is replanned
        ScheduledEventConfiguration.objects.filter(pk=config.pk, version=config.version).update(
            planned_version=config.version
        )


def _acquire_lease(owner: str) -> SchedulerState | None:
    """A lease, not a lock held across the run: a killed planner's lease simply expires."""
    try:
        SchedulerState.objects.get_or_create(name=PLANNER)
    except IntegrityError:  # a concurrent first run created it
        pass
    now = timezone.now()
    lease = timedelta(seconds=_setting("EVENTHUB_SCHEDULER_LEASE_SECONDS", 600))
    taken = SchedulerState.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), name=PLANNER
    ).update(lease_until=now + lease, lease_owner=owner)
    return SchedulerState.objects.get(name=PLANNER) if taken else None


def _plan(entities, configs: list[ScheduledEventConfiguration], report: PlanReport) -> None:
    """Plan `configs` for the given entities, one entity type at a time, in keyset batches by id."""
    by_type: dict[str, list[ScheduledEventConfiguration]] = defaultdict(list)
    for config in configs:
        by_type[config.entity.lower()].append(config)
    for entity_type, group in by_type.items():
        fields = sorted({c.field for c in group})
        annotations = {f"f{i}": field_lookup(f) for i, f in enumerate(fields)}
        rows = (
            entities.filter(entity_type=entity_type, account_id__in={c.account_id for c in group})
            .annotate(**annotations)
            .order_by("id")
            .values_list("id", "account_id", "entity_id", "deleted", "updated", *annotations)
        )
        by_account: dict[int, list[ScheduledEventConfiguration]] = defaultdict(list)
        for config in group:
            by_account[config.account_id].append(config)
        last = 0
        while True:
            batch = list(rows.filter(id__gt=last)[:BATCH])
            if not batch:
                break
            last = batch[-1][0]
            report.entities += len(batch)
            _plan_batch(batch, by_account, {f: i for i, f in enumerate(fields)}, report)


def _plan_batch(
    batch: list[tuple], by_account: dict, field_index: dict[str, int], report: PlanReport
) -> None:
    """Compare each (configuration, entity)'s wanted fire time with its stored occurrences; write the difference."""
    wanted: dict[tuple[int, str], tuple[datetime | None, ScheduledEventConfiguration, datetime]] = {}
    for _pk, account_id, entity_id, deleted, updated, *values in batch:
        for config in by_account[account_id]:
            target = None if deleted else fire_time(values[field_index[config.field]], config.offset)
            wanted[(config.pk, entity_id)] = (target, config, updated)
    existing: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for row in ScheduledOccurrence.objects.filter(
        configuration_id__in={k[0] for k in wanted}, entity_id__in={k[1] for k in wanted}
    ).values_list("id", "configuration_id", "entity_id", "fire_at", "fired_at", "cancelled"):
        existing[(row[1], row[2])].append(row)  # (other accounts' keys are never looked up)
    create, cancel, restore = [], [], []
    for key, (target, config, updated) in wanted.items():
        rows = existing.get(key, ())
        cancel += [r[0] for r in rows if r[4] is None and not r[5] and r[3] != target]
        if target is None:
            continue
        same = next((r for r in rows if r[3] == target), None)
        if same is not None and (same[4] is not None or not same[5]):
            continue  # already fired, or planned
        if not config.backfill and target < _day_start(max(config.updated, updated)):
            continue  # in the past when the hub learned of it
        if same is not None:
            restore.append(same[0])
        else:
            create.append((config.pk, config.account_id, key[1], target))
    with transaction.atomic():
        if cancel:
            report.cancelled += ScheduledOccurrence.objects.filter(
                id__in=cancel, fired_at__isnull=True
            ).update(cancelled=True)
        if restore:
            report.restored += ScheduledOccurrence.objects.filter(
                id__in=restore, fired_at__isnull=True
            ).update(cancelled=False)
        if create:
            _insert(create)
            report.created += len(create)


def _insert(rows: list[tuple[int, int, str, datetime]]) -> None:
    """New occurrences; one a concurrent writer inserted first is kept (the unique constraint decides).

    On PostgreSQL one INSERT ... SELECT FROM unnest(arrays): the per-row ORM cost dominates otherwise.
    """
    if connection.vendor != "postgresql":
        ScheduledOccurrence.objects.bulk_create(
            [
                ScheduledOccurrence(configuration_id=c, account_id=a, entity_id=e, fire_at=f)
                for c, a, e, f in rows
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        return
    configs, accounts, entity_ids, fire_ats = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {ScheduledOccurrence._meta.db_table} (configuration_id, account_id, entity_id, fire_at, cancelled, created)
            SELECT c, a, e, f::timestamptz, false, now()
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) AS t(c, a, e, f)
            ON CONFLICT (configuration_id, entity_id, fire_at) DO NOTHING""",
            [
                configs,
                accounts,
                entity_ids,
                [f.isoformat() for f in fire_ats],
            ],  # text dumps faster than timestamptz
        )


def still_due(occurrence: ScheduledOccurrence, entity: Entity | None) -> bool:
    """At fire time the entity must still exist and still put the occurrence at this time."""
    config = occurrence.configuration
    if entity is None or entity.deleted or not config.active:
        return False
    value = entity.data
    for part in config.field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return fire_time(value, config.offset) == occurrence.fire_at
