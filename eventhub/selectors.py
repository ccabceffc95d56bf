"""Reads for the API and admin: event lists with the card-issuing filters, and the catalog as one account
sees it (global types plus its own; see EventType)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from eventhub.models import Account, Event, EventType


def events_for(
    account: Account | None,
    *,
    begin: datetime | None = None,
    end: datetime | None = None,
    event_types: list[str] | None = None,
) -> QuerySet[Event]:
    """Events of one account (or all, for staff), examples excluded; created in [begin, end)."""
    queryset = Event.objects.filter(is_example=False)
    if account is not None:
        queryset = queryset.filter(account=account)
    if begin is not None:
        queryset = queryset.filter(created__gte=begin)
    if end is not None:
        queryset = queryset.filter(created__lt=end)
    if event_types:
        queryset = filter_by_type_names(queryset, account, event_types)
    return queryset


def filter_by_type_names(
    queryset: QuerySet[Event], account: Account | None, names: Iterable[str]
) -> QuerySet[Event]:
    """Events whose type has one of these wire names. For one account that is a key lookup on the
    events index (the global key or the account's own); staff lists join the catalog."""
    if account is None:
        return queryset.filter(event_type__name__in=list(names))
    return queryset.filter(event_type_id__in=type_keys(account, names))


def type_keys(account: Account, names: Iterable[str]) -> list[str]:
    """The keys an account's events of these type names may hold: the global type's and its own."""
    return [key for name in names for key in (name, EventType.key_for(name, account))]


def visible_event_types(account: Account | None) -> QuerySet[EventType]:
    """The catalog as `account` sees it: global types and its own. None (a staff key): every type."""
    if account is None:
        return EventType.objects.all()
    return EventType.objects.filter(Q(account=None) | Q(account=account))


def event_types_named(account: Account | None, names: Iterable[str]) -> dict[str, EventType]:
    """Resolve wire names for `account` in one query: its own type wins over a global one of the same name.
    Without an account only global types resolve (hub-internal events)."""
    names = set(names)
    keys = set(names) if account is None else set(type_keys(account, names))
    found: dict[str, EventType] = {}
    for event_type in EventType.objects.filter(key__in=keys):
        if event_type.account_id is not None or event_type.name not in found:
            found[event_type.name] = event_type
    return found


def event_type_for(account: Account | None, name: str) -> EventType | None:
    """One type by wire name as `account` sees it. A staff key that names no account gets the global type,
    or the owned one when exactly one account has that name (otherwise it must name the account)."""
    if account is not None:
        return event_types_named(account, [name]).get(name)
    rows = sorted(EventType.objects.filter(name=name)[:3], key=lambda t: t.account_id is not None)
    if rows and (rows[0].account_id is None or len(rows) == 1):
        return rows[0]
    return None


def split_csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]
