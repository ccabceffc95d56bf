"""Fan-out: every new event gets one Message per enabled, matching subscription of its account, written
in the event's own transaction; one worker kick is sent when that transaction commits."""
from __future__ import annotations

from collections import defaultdict

from deliveries.models import Message, MessageStatus
from deliveries.services.dispatch import kick_on_commit
from eventhub.models import Event
from subscriptions.models import EventSubscription


def create_messages(events: list[Event], *, depth: int = 0) -> None:
    """An event processor (EVENTHUB_EVENT_PROCESSORS): one query for the accounts' subscriptions, one
    bulk insert for the messages. Examples are never fanned out (send_example makes its own message)."""
    events = [e for e in events if not e.is_example]
    if not events:
        return
    subscriptions = defaultdict(list)
    for subscription in EventSubscription.objects.filter(
        account_id__in={e.account_id for e in events}, disabled=False
    ).only("id", "account_id", "event_types"):
        subscriptions[subscription.account_id].append(subscription)
    messages = [
        Message(
            account_id=event.account_id,
            event_id=event.id,
            subscription_id=subscription.id,
            status=MessageStatus.PENDING,
            next_attempt_at=event.created,
            created=event.created,
        )
        for event in events
        for subscription in subscriptions[event.account_id]
        if subscription.matches(event.event_type_id)
    ]
    if messages:
        Message.objects.bulk_create(messages)
        kick_on_commit()
