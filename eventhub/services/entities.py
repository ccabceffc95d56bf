"""The entity store: latest state per (account, entity type, id), so events carry `old` for rules and
scheduled events can read date fields. Out-of-order events (older than the stored state) do not overwrite it."""

from __future__ import annotations

from django.db.models import Q

from eventhub.models import Account, Entity, Event
from eventhub.services.validation import entity_parts


def prepare_entity_states(account: Account, events: list[Event]) -> list[Entity]:
    """Fill each entity event's entity ref and `previous_state`; return the Entity rows to save (locked)."""
    refs = {}
    for event in events:
        parts = entity_parts(event.event_type)
        if parts is None or not isinstance(event.payload, dict) or "id" not in event.payload:
            continue
        event.entity_type, event.entity_id = parts[0].lower(), str(event.payload["id"])
        refs[(event.entity_type, event.entity_id)] = None
    if not refs:
        return []
    lookup = Q()
    for entity_type, entity_id in refs:
        lookup |= Q(entity_type=entity_type, entity_id=entity_id)
    stored = {
        (e.entity_type, e.entity_id): e
        for e in Entity.objects.select_for_update().filter(lookup, account=account).order_by("id")
    }
    touched: dict[tuple[str, str], Entity] = {}
    for event in events:
        if not event.entity_id:
            continue
        key = (event.entity_type, event.entity_id)
        action = entity_parts(event.event_type)[1]
        entity = touched.get(key) or stored.get(key)
        if entity is not None and event.occurred_at < entity.state_at:
            event.previous_state = None  # late arrival: recorded, but the newer stored state wins
            continue
        event.previous_state = None if entity is None or entity.deleted else entity.data
        if entity is None:
            entity = Entity(account=account, entity_type=event.entity_type, entity_id=event.entity_id)
        entity.data = {k: v for k, v in event.payload.items() if k != "event_type"}
        entity.deleted = action == "deleted"
        entity.state_at = event.occurred_at
        entity._pending_event = event
        touched[key] = entity
    return list(touched.values())


def save_entity_states(entities: list[Entity]) -> None:
    """After the events are inserted: write each entity with a link to the event that set it."""
    for entity in entities:
        entity.last_event = entity._pending_event
    new = [e for e in entities if e.pk is None]
    old = [e for e in entities if e.pk is not None]
    if new:
        Entity.objects.bulk_create(new)
    if old:
        Entity.objects.bulk_update(old, ["data", "deleted", "state_at", "last_event"])
