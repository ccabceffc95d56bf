"""The event-type catalog: load packs idempotently, create and change types with their schemas checked.

Packs and staff make global types. Types the hub derives from an account's notification rules and
scheduled configurations (`notification.`, `scheduled.`) are owned by that account (see EventType):
`derive_owned_type` creates or refreshes them, `retire_owned_type` archives one when its source goes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from eventhub import hotcache
from eventhub.catalog.packs import available_packs, read_pack
from eventhub.errors import Conflict, InvalidInput, NotFound
from eventhub.models import Account, EventCategory, EventType, SchemaMode
from eventhub.selectors import event_type_for
from eventhub.services.audit import Actor, record_action
from eventhub.services.validation import EVENT_TYPE_NAME, EVENT_TYPE_NAME_MAX

EDITABLE_FIELDS = ("category", "group", "description", "schema", "schema_mode", "example", "archived")
# Names in these namespaces exist only as account-owned types derived by rules and configurations.
OWNED_PREFIXES = ("notification.", "scheduled.")


@dataclass
class LoadReport:
    pack: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def load_packs(
    names: list[str] | None = None, progress: Callable[[str], None] | None = None
) -> list[LoadReport]:
    """Upsert every type of the named packs (all by default); running it twice changes nothing."""
    reports = []
    for name in names or available_packs():
        pack = read_pack(name)
        report = LoadReport(pack=name)
        with transaction.atomic():
            current = {
                t.name: t
                for t in EventType.objects.filter(account=None, name__in=[s.name for s in pack.event_types])
            }
            for spec in pack.event_types:
                values = {
                    "category": spec.category,
                    "group": spec.group,
                    "description": spec.description,
                    "schema": spec.schema,
                    "schema_mode": spec.schema_mode,
                    "example": spec.example,
                    "source_pack": name,
                }
                existing = current.get(spec.name)
                if existing is None:
                    EventType.objects.create(key=EventType.key_for(spec.name, None), name=spec.name, **values)
                    report.created += 1
                elif any(getattr(existing, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(existing, k, v)
                    existing.save()
                    report.updated += 1
                else:
                    report.unchanged += 1
        if progress:
            progress(
                f"{name}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged"
            )
        reports.append(report)
    return reports


def _check_fields(data: dict[str, Any], *, partial: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "category" in data and data["category"] not in EventCategory.values:
        errors["category"] = [f"Must be one of {', '.join(EventCategory.values)}."]
    if "schema_mode" in data and data["schema_mode"] not in SchemaMode.values:
        errors["schema_mode"] = ["Must be 'strict' or 'warn'."]
    schema = data.get("schema")
    if schema is not None:
        if not isinstance(schema, dict):
            errors["schema"] = ["Must be a JSON Schema object or null."]
        elif len(json.dumps(schema)) > settings.EVENTHUB_MAX_SCHEMA_BYTES:
            errors["schema"] = [f"Schema is larger than {settings.EVENTHUB_MAX_SCHEMA_BYTES} bytes."]
        else:
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                errors["schema"] = [f"Not a valid JSON Schema: {exc.message[:300]}"]
    if "example" in data and not isinstance(data["example"], dict):
        errors["example"] = ["Must be a JSON object."]
    if "group" in data and (not isinstance(data["group"], str) or len(data["group"]) > 64):
        errors["group"] = ["Must be a string of at most 64 characters."]
    if "description" in data and not isinstance(data["description"], str):
        errors["description"] = ["Must be a string."]
    if "archived" in data and not isinstance(data["archived"], bool):
        errors["archived"] = ["Must be a boolean."]
    if not errors and isinstance(schema, dict) and isinstance(data.get("example"), dict):
        problem = next(Draft202012Validator(schema).iter_errors(data["example"]), None)
        if problem is not None:
            errors["example"] = [f"Does not match the schema: {problem.message[:300]}"]
    return errors


def check_event_type(name: Any, fields: dict[str, Any], *, partial: bool = False) -> None:
    """Validate a type's name (unless `partial`, an update: the name is fixed) and fields, with no writes:
    the services and the admin form both call it."""
    if not partial:
        _check_name(name)
    errors = _check_fields(fields, partial=partial)
    if errors:
        raise InvalidInput(f"{next(iter(errors))}: {next(iter(errors.values()))[0]}", errors)


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not EVENT_TYPE_NAME.match(name) or len(name) > EVENT_TYPE_NAME_MAX:
        raise InvalidInput(
            "name is not a valid event type name.",
            {
                "name": [
                    f"Use dot-separated words of letters, digits and _ (at most {EVENT_TYPE_NAME_MAX} characters)."
                ]
            },
        )
    if name.startswith(OWNED_PREFIXES):
        raise InvalidInput(
            f"name: {name.split('.')[0]}.* types are created by accounts' notification rules and scheduled configurations.",
            {
                "name": [
                    f"{', '.join(p + '*' for p in OWNED_PREFIXES)} names are reserved for account-owned types."
                ]
            },
        )


def create_event_type(name: Any, *, actor: Actor = None, **fields: Any) -> EventType:
    """A global catalog type (staff, admin, tests); audited for `actor`."""
    fields = {k: v for k, v in fields.items() if k in EDITABLE_FIELDS}
    check_event_type(name, fields)
    try:
        with transaction.atomic():
            created = EventType.objects.create(key=EventType.key_for(name, None), name=name, **fields)
            record_action(actor, "event_type.created", target=created)
            return created
    except IntegrityError:
        raise Conflict(f"Event type {name!r} already exists.", {"name": ["Already exists."]}) from None


def ensure_event_type(
    name: str, *, category: str, description: str = "", example: dict | None = None
) -> EventType:
    """For global types the hub emits itself (`event_subscription.disabled`, ...): create once, never fail on a race."""
    event_type, _ = EventType.objects.get_or_create(
        key=EventType.key_for(name, None),
        defaults={"name": name, "category": category, "description": description, "example": example or {}},
    )
    return event_type


def derive_owned_type(
    account: Account, name: str, *, category: str, description: str, example: dict
) -> EventType:
    """The account's own type for one of its rules or configurations: created, or brought in line with the
    rule/configuration (description, example) and un-retired. Another account's type of the same name is
    a different row and never touched."""
    event_type, created = EventType.objects.get_or_create(
        key=EventType.key_for(name, account),
        defaults={
            "account": account,
            "name": name,
            "category": category,
            "description": description,
            "example": example,
        },
    )
    if not created and (
        event_type.archived or event_type.description != description or event_type.example != example
    ):
        event_type.archived, event_type.description, event_type.example = False, description, example
        event_type.save(update_fields=["archived", "description", "example", "updated"])
    return event_type


def owned_type(account: Account, name: str) -> EventType | None:
    return EventType.objects.filter(key=EventType.key_for(name, account)).first()


def retire_owned_type(account: Account, name: str) -> None:
    """Its rule or configuration is gone: archive the account's own type (past events keep it); others' stay."""
    hotcache.update_rows(
        EventType.objects.filter(key=EventType.key_for(name, account), archived=False), archived=True
    )


def update_event_type(
    name: str, changes: dict[str, Any], *, account: Account | None = None, actor: Actor = None
) -> EventType:
    """Change the type `name` as `account` sees it (its own, else the global one); no account: the global one.
    Audited for `actor`: archiving or unarchiving as its own action (ingest accepts or refuses the type)."""
    event_type = event_type_for(account, name)
    if event_type is None:
        raise NotFound(f"No event type named {name!r}.")
    changes = {k: v for k, v in changes.items() if k in EDITABLE_FIELDS}
    check_event_type(
        name, {"schema": event_type.schema, "example": event_type.example, **changes}, partial=True
    )
    archiving = "archived" in changes and bool(changes["archived"]) != event_type.archived
    for key, value in changes.items():
        setattr(event_type, key, value)
    with transaction.atomic():
        event_type.save()
        if archiving:
            action = "event_type.archived" if event_type.archived else "event_type.unarchived"
            record_action(actor, action, target=event_type)
        if set(changes) - {"archived"}:
            record_action(actor, "event_type.updated", target=event_type, fields=sorted(changes))
    return event_type
