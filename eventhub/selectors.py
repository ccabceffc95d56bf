"""Reads for the API and admin: event lists with the card-issuing filters."""
from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from eventhub.models import Account, Event


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
        queryset = queryset.filter(event_type_id__in=event_types)
    return queryset


def split_csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]
