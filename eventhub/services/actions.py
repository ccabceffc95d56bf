"""Actioning events: a user marks an error event as followed up and resolved, recording who and when.
The one write behind the billing API's `POST .../events/{id}/action` and the admin's "Mark actioned"."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from eventhub.models import Event
from eventhub.services.audit import Actor, actor_id, record_action


@transaction.atomic
def action_event(event: Event, *, actor: Actor = None) -> Event:
    """Idempotent: an event already actioned (by someone, or when processed, as non-error events are)
    keeps its first `actioned_at`/`actioned_by` and nothing is written or audited again."""
    now = timezone.now()
    moved = Event.objects.filter(pk=event.pk, awaiting_action=True).update(
        awaiting_action=False, actioned_at=now, actioned_by=actor_id(actor)[:200]
    )
    if moved:
        record_action(actor, "event.actioned", target=event, event_type=event.event_type_name)
    event.refresh_from_db(fields=["awaiting_action", "actioned_at", "actioned_by"])
    return event
