"""Scheduled event configurations (DESIGN section 5): create, replace, delete, and the scheduler run
that plans and fires their occurrences. Shared by both API dialects and the admin."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from eventhub.errors import Conflict, InvalidInput
from eventhub.logs import event as log_event
from eventhub.models import Account, EventCategory
from eventhub.selectors import event_types_named
from eventhub.services.audit import Actor, record_action, stamp
from eventhub.services.catalog import retire_owned_type
from eventhub.services.validation import ENTITY_EVENT, EVENT_TYPE_NAME_MAX
from eventhub.versions import check_version
from scheduled_events.firing import fire_due
from scheduled_events.models import ScheduledEventConfiguration
from scheduled_events.planning import PlanReport, plan_occurrences
from scheduled_events.types import derive_scheduled_type

logger = logging.getLogger(__name__)

NAME = re.compile(r"^scheduled\.(?P<entity>[A-Za-z][A-Za-z0-9_]*)\.(?P<name>[A-Za-z][A-Za-z0-9_]*)$")
ENTITY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Dotted keys into Entity.data; `__` is refused because the planner turns dots into JSON key lookups.
FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,7}$")
MAX_OFFSET_DAYS = 36500


@dataclass(frozen=True)
class SchedulerReport:
    planning: PlanReport | None  # None: another run held the planning lease
    fired: int


def check_configuration(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a full configuration body (no writes); errors name each failing field. The services
    and the admin form both call it."""
    errors: dict[str, list[str]] = {}
    name, entity, field, offset = (values.get(k) for k in ("name", "entity", "field", "offset"))
    if not isinstance(entity, str) or not ENTITY.match(entity) or len(entity) > 100:
        errors["entity"] = ["Must name an entity, e.g. Commitment or Bill (letters, digits and _)."]
    match = NAME.match(name) if isinstance(name, str) and len(name) <= EVENT_TYPE_NAME_MAX else None
    if match is None:
        errors["name"] = [
            f"Must be scheduled.<entity>.<name> (letters, digits and _; at most {EVENT_TYPE_NAME_MAX} characters)."
        ]
    elif "entity" not in errors and match["entity"].lower() != entity.lower():
        errors["name"] = [
            f"The entity part {match['entity']!r} must be the configuration's entity {entity!r}."
        ]
    elif ENTITY_EVENT.match(name):
        errors["name"] = ["Must not end in .created, .updated or .deleted (those names are entity events)."]
    if not isinstance(field, str) or "__" in field or not FIELD.match(field) or len(field) > 200:
        errors["field"] = ["Must be a date field of the entity, e.g. endDate or terms.end."]
    if isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > MAX_OFFSET_DAYS:
        errors["offset"] = [
            f"Must be a whole number of days between -{MAX_OFFSET_DAYS} and {MAX_OFFSET_DAYS}."
        ]
    for flag in ("backfill", "active"):
        if flag in values and not isinstance(values[flag], bool):
            errors[flag] = ["Must be true or false."]
    if errors:
        first = next(iter(errors))
        raise InvalidInput(f"{first}: {errors[first][0]}", errors)
    return values


def _ensure_type(account: Account, name: str, entity: str, field: str) -> None:
    """The configuration's event type joins the account's catalog, so its subscriptions and rules can name it.
    A global type of that name (made before names under scheduled. were reserved) must not be shadowed
    by a type of another category."""
    existing = event_types_named(account, [name]).get(name)
    if existing is not None and existing.category != EventCategory.SCHEDULED:
        raise InvalidInput(
            f"name: {name!r} is already an event type of category {existing.category!r}.",
            {"name": ["Already used by a non-scheduled event type."]},
        )
    derive_scheduled_type(account, name, entity, field)


def create_configuration(
    account: Account,
    *,
    name: str,
    entity: str,
    field: str,
    offset: int,
    backfill: bool = False,
    active: bool = True,
    actor: Actor = None,
) -> ScheduledEventConfiguration:
    """A new configuration; it fires for future times only unless `backfill` (see scheduled_events.planning).
    Audited (and stamped createdBy) for `actor`."""
    values = check_configuration(
        {
            "name": name,
            "entity": entity,
            "field": field,
            "offset": offset,
            "backfill": backfill,
            "active": active,
        }
    )
    try:
        with transaction.atomic():
            _ensure_type(account, name, entity, field)
            configuration = ScheduledEventConfiguration(account=account, **values)
            stamp(configuration, actor, created=True)
            configuration.save()
            record_action(actor, "scheduled_event.created", target=configuration, name=name)
            return configuration
    except IntegrityError:
        raise Conflict(
            f"A scheduled event configuration named {name!r} already exists.", {"name": ["Already exists."]}
        ) from None


def update_configuration(
    configuration: ScheduledEventConfiguration,
    *,
    name: str,
    entity: str,
    field: str,
    offset: int,
    version: int | None = None,
    backfill: bool | None = None,
    active: bool | None = None,
    actor: Actor = None,
) -> ScheduledEventConfiguration:
    """Full replace with an optimistic version check; the scheduler replans its occurrences on the next run.
    Audited (and stamped lastModifiedBy) for `actor`."""
    values = {"name": name, "entity": entity, "field": field, "offset": offset}
    values.update({k: v for k, v in (("backfill", backfill), ("active", active)) if v is not None})
    check_configuration(values)
    try:
        with transaction.atomic():
            locked = ScheduledEventConfiguration.objects.select_for_update().get(pk=configuration.pk)
            check_version(locked.version, version)
            old_name = locked.name
            _ensure_type(locked.account, name, entity, field)  # also follows an entity or field change
            if name != old_name:
                retire_owned_type(locked.account, old_name)
            for key, value in values.items():
                setattr(locked, key, value)
            locked.version += 1
            stamp(locked, actor)
            locked.save()
            record_action(actor, "scheduled_event.updated", target=locked, version=locked.version)
            return locked
    except IntegrityError:
        raise Conflict(
            f"A scheduled event configuration named {name!r} already exists.", {"name": ["Already exists."]}
        ) from None


def delete_configuration(
    configuration: ScheduledEventConfiguration, *, actor: Actor = None
) -> ScheduledEventConfiguration:
    """Deletes its planned occurrences too; events already fired stay, and its own type is retired
    (archived). Another account's configuration of the same name keeps its type. Audited for `actor`."""
    with transaction.atomic():
        record_action(actor, "scheduled_event.deleted", target=configuration, name=configuration.name)
        configuration.delete()
        retire_owned_type(configuration.account, configuration.name)
    return configuration


def run_scheduler(now: datetime) -> SchedulerReport:
    """One beat tick: bring occurrences in line with entity changes, then fire what is due at `now`.

    Safe to run concurrently: planning is single-flight (a lease) and each occurrence fires once.
    """
    report = SchedulerReport(planning=plan_occurrences(), fired=fire_due(now))
    log_event(logger, logging.INFO, "scheduler_run", fired=report.fired, planning=report.planning)
    return report
