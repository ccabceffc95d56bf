"""The ordered list of steps every new event goes through inside its transaction (setting
EVENTHUB_EVENT_PROCESSORS): notification rules first, so the events they cause are fanned out too."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_PROCESSORS = [
    "eventhub.services.rules.apply_notification_rules",
    "deliveries.services.fanout.create_messages",
]


@cache
def _processors():
    return [
        import_string(path) for path in getattr(settings, "EVENTHUB_EVENT_PROCESSORS", DEFAULT_PROCESSORS)
    ]


def run_processors(events: list, *, depth: int = 0) -> None:
    """Events a processor causes are recorded through record_events, which calls back here at depth+1."""
    if not events:
        return
    for processor in _processors():
        processor(events, depth=depth)
