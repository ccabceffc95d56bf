"""RFC 3339 / ISO 8601 parsing as the SDKs send it: `Z`, `+00:00`, or no offset (taken as UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from eventhub.errors import InvalidInput


def parse_datetime_value(value: str) -> datetime | None:
    """A datetime or a date (midnight UTC) in ISO 8601; None when it is neither."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), time.min)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_query_datetime(value: str | None, field: str) -> datetime | None:
    """For `begin`/`end` query parameters: a 400 naming the field when the value is not a time."""
    if value in (None, ""):
        return None
    parsed = parse_datetime_value(value)
    if parsed is None:
        raise InvalidInput(
            f"{field} must be an RFC 3339 date-time, e.g. 2024-01-01T00:00:00Z.",
            {field: [f"Not an RFC 3339 date-time: {value[:64]!r}."]},
        )
    return parsed
