"""`events/fields`: what `new.<field>` / `old.<field>` a notification calculation can use for an event type."""

from __future__ import annotations

from eventhub.catalog.packs import rule_fields
from eventhub.models import Account, Event, EventType
from eventhub.services.validation import ENTITY_EVENT


def event_fields(account: Account, event_type: EventType) -> dict[str, dict[str, str]]:
    """From the type's schema and example, else from the account's latest event of that type.

    Entity events also have `old` (the state before the change); other events have `new` only.
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
    result = {"new": fields}
    if ENTITY_EVENT.match(event_type.name) and event_type.name.split(".")[0] == event_type.category:
        result["old"] = dict(fields)
    return result


def _without_type(payload: dict | None) -> dict:
    return (
        {k: v for k, v in (payload or {}).items() if k != "event_type"} if isinstance(payload, dict) else {}
    )
