"""Retry policy: the configured schedule (seconds after each failed try), and `Retry-After` on 429/503
honoured only within [scheduled delay, 2x scheduled delay] so an endpoint can slow us down but neither
speed us up nor park a message for days."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

from django.conf import settings

RETRY_AFTER_STATUSES = frozenset({429, 503})


def schedule() -> list[float]:
    return list(settings.EVENTHUB_RETRY_SCHEDULE)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None when absent or garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def next_delay(step: int, status_code: int = 0, retry_after: float | None = None) -> float | None:
    """Seconds to wait after failed try number `step` (0 = first try of the current schedule); None means
    the schedule is exhausted and the message is FAILED."""
    delays = schedule()
    if step >= len(delays):
        return None
    delay = float(delays[step])
    if retry_after is not None and status_code in RETRY_AFTER_STATUSES:
        delay = min(max(retry_after, delay), 2 * delay)
    return delay
