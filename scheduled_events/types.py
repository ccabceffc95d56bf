"""The event type a scheduled configuration fires: owned by the configuration's account, so another
account never sees it and may have its own configuration of the same name (issue 11 item 2)."""

from __future__ import annotations

from eventhub.models import Account, EventCategory, EventType
from eventhub.services.catalog import derive_owned_type


def derive_scheduled_type(account: Account, name: str, entity: str, field: str) -> EventType:
    """Create or refresh the account's `scheduled.*` type, its example shaped like a fired payload."""
    example = {
        "event_type": name,
        "entity": {"id": "id-1", field.split(".")[0]: "2025-01-31T00:00:00Z"},
        "configuration": {"id": "sched_1", "name": name, "entity": entity, "field": field, "offset": 0},
        "fire_at": "2025-01-31T00:00:00Z",
    }
    return derive_owned_type(
        account,
        name,
        category=EventCategory.SCHEDULED,
        description=f"Scheduled event: fires for each {entity} at its {field} plus the configured offset.",
        example=example,
    )
