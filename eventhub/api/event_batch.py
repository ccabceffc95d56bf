"""The publish's shape check and response body without DRF's per-field machinery, which cost more
than the ingest's own Python for a batch of 500 and about a sixth of a one-event publish's CPU
(docs/performance.md, "Batch ingest" and "Third round").

All are exact stand-ins, held equal to EventBatchSerializer, EventSubmissionSerializer and
EventSerializer by tests/api/test_event_batch_shapes.py and tests/api/test_event_single_shape.py:
anything the plain checks below do not accept as obviously well-formed goes through the serializer,
so every error keeps DRF's wording and field path.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from eventhub.api.serializers import EventBatchSerializer, EventSubmissionSerializer
from eventhub.models import Event
from eventhub.services.validation import IDEMPOTENCY_KEY_MAX

_TIME = serializers.DateTimeField(required=False, allow_null=True)
_EVENT_TYPE_MAX = 128  # EventSubmissionSerializer.event_type's max_length


def validated_event_batch(data: dict) -> dict[str, Any]:
    """EventBatchSerializer(data=data).validated_data; raises its ValidationError when it would."""
    return _validated(data, _plain_batch, EventBatchSerializer)


def validated_event(data: Any) -> dict[str, Any]:
    """EventSubmissionSerializer(data=data).validated_data; raises its ValidationError when it would."""
    return _validated(data, plain_event, EventSubmissionSerializer)


def _validated(data: Any, plain, serializer_class) -> dict[str, Any]:
    """The plain check's result when it accepts `data`, else the serializer's verdict (its errors)."""
    fast = plain(data)
    if fast is not None:
        return fast
    body = serializer_class(data=data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _plain_batch(data: dict) -> dict[str, Any] | None:
    """The validated data when every value is one DRF passes through unchanged; None to let DRF decide."""
    items = data.get("events")
    if type(items) is not list:
        return None
    validated: dict[str, Any] = {}
    if "account_token" in data:
        if not _plain_text(data["account_token"], None):
            return None
        validated["account_token"] = data["account_token"]
    events = []
    for item in items:
        event = plain_event(item)
        if event is None:
            return None
        events.append(event)
    validated["events"] = events
    return validated


def plain_event(item: Any) -> dict[str, Any] | None:
    """One submission's validated data when DRF would pass every value through unchanged; else None (the
    lean publish path, eventhub/api/lean_publish.py, then hands the request to the DRF view)."""
    if type(item) is not dict or type(item.get("payload")) is not dict:
        return None
    if not _plain_text(item.get("event_type"), _EVENT_TYPE_MAX):
        return None
    event = {"event_type": item["event_type"], "payload": item["payload"]}
    for name, check in (("idempotency_key", _plain_key), ("occurred_at", _plain_time)):
        if name in item:
            value = check(item[name])
            if value is _REJECTED:
                return None
            event[name] = value
    return event


_REJECTED = object()


def _plain_text(value: Any, max_length: int | None) -> bool:
    """A str that CharField returns as is: ASCII (no surrogates), no NUL, nothing to trim, not blank."""
    return (
        type(value) is str
        and 0 < len(value) <= (max_length or len(value))
        and value.isascii()
        and "\x00" not in value
        and value.strip() == value
    )


def _plain_key(value: Any) -> Any:
    return value if value is None or _plain_text(value, IDEMPOTENCY_KEY_MAX) else _REJECTED


def _plain_time(value: Any) -> Any:
    try:
        return _TIME.run_validation(value)
    except serializers.ValidationError:
        return _REJECTED


def event_bodies(events: list[Event]) -> list[dict[str, Any]]:
    """EventSerializer(events, many=True).data, field for field, in one pass."""
    times: dict = {}  # a batch's events share one `created`
    bodies = []
    for event in events:
        created = times.get(event.created)
        if created is None:
            created = times[event.created] = _TIME.to_representation(event.created)
        bodies.append(
            {
                "token": event.token,
                "created": created,
                "event_type": event.event_type_name,
                "payload": event.payload,
                "caused_by": event.caused_by.token if event.caused_by_id is not None else None,
            }
        )
    return bodies
