"""`events/fields`: what `new.<field>` / `old.<field>` a notification calculation can use for an event type."""

from __future__ import annotations

from collections.abc import Iterable

from eventhub.catalog.packs import rule_fields
from eventhub.models import Account, Event, EventType
from eventhub.services.validation import ENTITY_EVENT


def event_fields(account: Account, event_type: EventType) -> dict[str, dict[str, str]]:
    """From the type's schema and example, else from the account's latest event of that type.

    Entity events: `.updated` has `new` and `old`, `.created` `new` only, `.deleted` `old` only;
    other events have `new` only.
    """
    fields = rule_fields(event_type.schema, _without_type(event_type.example))
    if not fields:
        latest = (
            Event.objects.filter(account=account, event_type=event_type, is_example=False)
            .order_by("-created", "-id")
            .first()
        )
        fields = rule_fields(None, _without_type(latest.payload)) if latest is not None else {}
    fields.pop("event_type", None)
    match = ENTITY_EVENT.match(event_type.name)
    if match is None or event_type.name.split(".")[0] != event_type.category:
        return {"new": fields}
    # The SDK's docstring: `.created` has only the new object, `.deleted` only the state at deletion.
    action = match["action"]
    if action == "created":
        return {"new": fields}
    if action == "deleted":
        return {"old": fields}
    return {"new": fields, "old": dict(fields)}


def all_event_fields(account: Account, event_types: Iterable[EventType]) -> dict[str, dict[str, str]]:
    """Without `eventName`: every type's fields, keyed by type name, as `new.<field>` / `old.<field>`
    (the SDK's model is `{str: {str: str}}`, so the two levels are flattened into one)."""
    return {
        event_type.name: {
            f"{side}.{field}": kind
            for side, fields in event_fields(account, event_type).items()
            for field, kind in fields.items()
        }
        for event_type in event_types
    }


def _without_type(payload: dict | None) -> dict:
    return (
        {k: v for k, v in (payload or {}).items() if k != "event_type"} if isinstance(payload, dict) else {}
    )
