"""The rules a subscription's fields obey, as pure functions shared by the services (API, billing dialect)
and the admin's forms, so both interfaces reject the same input with the same messages and the admin
needs no rolled-back dry run of a service to find out."""

from __future__ import annotations

from typing import Any

from eventhub.errors import InvalidInput
from eventhub.models import Account
from eventhub.selectors import event_types_named
from subscriptions.ssrf import check_endpoint_url

MAX_EVENT_TYPES = 500
MAX_DESCRIPTION = 2000


class CheckedUrl(str):
    """An endpoint URL that passed `endpoint_url` in this process: a form that validated it hands it to
    the service, which then does not resolve the host a second time (one DNS lookup per save)."""


def endpoint_url(url: Any) -> CheckedUrl:
    """http(s), no credentials, https unless allowed, and a host that does not resolve to a refused address."""
    if isinstance(url, CheckedUrl):
        return url
    return CheckedUrl(check_endpoint_url(url))


def event_types(account: Account, value: Any) -> list[str]:
    """Names of global types or the account's own; another account's notification./scheduled. types
    are unknown here, exactly as if they did not exist."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise InvalidInput(
            "event_types must be a list of event type names.", {"event_types": ["Must be a list of strings."]}
        )
    if len(value) > MAX_EVENT_TYPES:
        raise InvalidInput("Too many event_types.", {"event_types": [f"At most {MAX_EVENT_TYPES}."]})
    names = list(dict.fromkeys(value))
    known = set(event_types_named(account, names))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidInput(
            f"Unknown event type {unknown[0][:128]!r}.",
            {"event_types": [f"Unknown event type {n[:128]!r}." for n in unknown[:10]]},
        )
    return names


def description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise InvalidInput(
            "description is invalid.",
            {"description": [f"Must be a string of at most {MAX_DESCRIPTION} characters."]},
        )
    return value


def disabled_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("disabled must be a boolean.", {"disabled": ["Must be true or false."]})
    return value
