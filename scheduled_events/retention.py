"""Scheduled events' part in retention (registered in ScheduledEventsConfig.ready): an occurrence outlives
the event it fired, so the link is cleared before the event goes."""

from __future__ import annotations

from eventhub.services.retention import RetentionDependent
from scheduled_events.models import ScheduledOccurrence


def _detach_fired_events(event_ids: list[int]) -> dict[str, int]:
    ScheduledOccurrence.objects.filter(fired_event_id__in=event_ids).update(fired_event=None)
    return {}


DEPENDENT = RetentionDependent(
    name="scheduled_events", held=lambda event_ids: (), release=_detach_fired_events
)
