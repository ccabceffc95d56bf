"""The event-type catalog: load packs idempotently, create and change types with their schemas checked."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from eventhub.catalog.packs import available_packs, read_pack
from eventhub.errors import Conflict, InvalidInput, NotFound
from eventhub.models import EventCategory, EventType, SchemaMode
from eventhub.services.validation import EVENT_TYPE_NAME, EVENT_TYPE_NAME_MAX

EDITABLE_FIELDS = ("category", "description", "schema", "schema_mode", "example", "archived")


@dataclass
class LoadReport:
    pack: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def load_packs(names: list[str] | None = None, progress: Callable[[str], None] | None = None) -> list[LoadReport]:
    """Upsert every type of the named packs (all by default); running it twice changes nothing."""
    reports = []
    for name in names or available_packs():
        pack = read_pack(name)
        report = LoadReport(pack=name)
        with transaction.atomic():
            current = {t.name: t for t in EventType.objects.filter(name__in=[s.name for s in pack.event_types])}
            for spec in pack.event_types:
                values = {
                    "category": spec.category,
                    "description": spec.description,
                    "schema": spec.schema,
                    "schema_mode": spec.schema_mode,
                    "example": spec.example,
                    "source_pack": name,
                }
                existing = current.get(spec.name)
                if existing is None:
                    EventType.objects.create(name=spec.name, **values)
                    report.created += 1
                elif any(getattr(existing, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(existing, k, v)
                    existing.save()
                    report.updated += 1
                else:
                    report.unchanged += 1
        if progress:
            progress(f"{name}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged")
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
    if "description" in data and not isinstance(data["description"], str):
        errors["description"] = ["Must be a string."]
    if "archived" in data and not isinstance(data["archived"], bool):
        errors["archived"] = ["Must be a boolean."]
    if not errors and isinstance(schema, dict) and isinstance(data.get("example"), dict):
        problem = next(Draft202012Validator(schema).iter_errors(data["example"]), None)
        if problem is not None:
            errors["example"] = [f"Does not match the schema: {problem.message[:300]}"]
    return errors


def create_event_type(name: Any, **fields: Any) -> EventType:
    if not isinstance(name, str) or not EVENT_TYPE_NAME.match(name) or len(name) > EVENT_TYPE_NAME_MAX:
        raise InvalidInput(
            "name is not a valid event type name.",
            {"name": [f"Use dot-separated words of letters, digits and _ (at most {EVENT_TYPE_NAME_MAX} characters)."]},
        )
    fields = {k: v for k, v in fields.items() if k in EDITABLE_FIELDS}
    errors = _check_fields(fields, partial=False)
    if errors:
        raise InvalidInput(f"{next(iter(errors))}: {next(iter(errors.values()))[0]}", errors)
    try:
        with transaction.atomic():
            return EventType.objects.create(name=name, **fields)
    except IntegrityError:
        raise Conflict(f"Event type {name!r} already exists.", {"name": ["Already exists."]}) from None


def ensure_event_type(name: str, *, category: str, description: str = "", example: dict | None = None) -> EventType:
    """For types the hub derives itself (notification.<code>, scheduled.*): create once, never fail on a race."""
    event_type, _ = EventType.objects.get_or_create(
        name=name, defaults={"category": category, "description": description, "example": example or {}}
    )
    return event_type


def update_event_type(name: str, changes: dict[str, Any]) -> EventType:
    event_type = EventType.objects.filter(name=name).first()
    if event_type is None:
        raise NotFound(f"No event type named {name!r}.")
    changes = {k: v for k, v in changes.items() if k in EDITABLE_FIELDS}
    merged = {"schema": event_type.schema, "example": event_type.example, **changes}
    errors = _check_fields(merged, partial=True)
    if errors:
        raise InvalidInput(f"{next(iter(errors))}: {next(iter(errors.values()))[0]}", errors)
    for key, value in changes.items():
        setattr(event_type, key, value)
    event_type.save()
    return event_type
