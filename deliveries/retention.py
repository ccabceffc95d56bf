"""Deliveries' part in retention (registered in DeliveriesConfig.ready): an expired event whose message is
still PENDING or SENDING stays; otherwise its messages go, and with them every attempt they own, whatever
the attempt's own age (a late retry is younger than its message)."""

from __future__ import annotations

from deliveries.models import Message, MessageAttempt, MessageStatus
from eventhub.services.retention import RetentionDependent

IN_FLIGHT = (MessageStatus.PENDING, MessageStatus.SENDING)


def events_with_deliveries_under_way(event_ids: list[int]) -> set[int]:
    return set(
        Message.objects.filter(event_id__in=event_ids, status__in=IN_FLIGHT).values_list(
            "event_id", flat=True
        )
    )


def release_events(event_ids: list[int]) -> dict[str, int]:
    """Attempts of the events' messages first, then the messages; raw deletes: no per-row cascade collection."""
    message_ids = list(Message.objects.filter(event_id__in=event_ids).values_list("id", flat=True))
    if not message_ids:
        return {"attempts": 0, "messages": 0}
    attempts = MessageAttempt.objects.filter(message_id__in=message_ids)._raw_delete(
        MessageAttempt.objects.db
    )
    messages = Message.objects.filter(id__in=message_ids)._raw_delete(Message.objects.db)
    return {"attempts": attempts, "messages": messages}


DEPENDENT = RetentionDependent(
    name="deliveries", held=events_with_deliveries_under_way, release=release_events
)
