"""Reads of scheduled event configurations for the APIs and the admin."""

from __future__ import annotations

from django.db.models import QuerySet

from scheduled_events.models import ScheduledEventConfiguration


def configurations_for(account, *, ids: list[str] | None = None) -> QuerySet[ScheduledEventConfiguration]:
    """One account's configurations (all accounts for None), optionally only the given tokens."""
    queryset = ScheduledEventConfiguration.objects.all()
    if account is not None:
        queryset = queryset.filter(account=account)
    if ids:
        queryset = queryset.filter(token__in=ids)
    return queryset
