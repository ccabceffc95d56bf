"""Optimistic concurrency for every versioned object (rules, scheduled event configurations, webhook
destinations, integration configurations): one check, so every app answers a stale write the same way."""

from __future__ import annotations

from typing import Any

from eventhub.errors import Conflict, InvalidInput


def check_version(current: int, expected: Any) -> None:
    """A stale `version` is a 409 the SDKs do not retry; an omitted one means an unconditional write."""
    if expected is None:
        return
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise InvalidInput("version must be an integer.", {"version": ["Must be an integer."]})
    if expected != current:
        raise Conflict(
            f"Version conflict: the request is based on version {expected}, the current version is {current}.",
            {"version": [f"Expected {current}."]},
        )
