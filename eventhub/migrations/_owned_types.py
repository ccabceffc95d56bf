"""Shared by eventhub 0004 and scheduled_events 0003 (a leading `_` keeps the loader off this module):
split a global derived type (notification.<code>, scheduled.*) into one row per account that has a
rule/configuration of that name or events of that type, and repoint each account's events to its row.

Written against historical models only; the example is rebuilt from each owner's own rule or
configuration, so no account inherits another's rule token or name.
"""

from __future__ import annotations

from collections.abc import Callable

SEPARATOR = "@"


def split_global_type(
    apps,
    row,
    owners: dict[int, tuple[str, dict]],
    *,
    orphan_description: str,
) -> None:
    """`owners`: account id -> (description, example) for accounts whose rule/configuration is live."""
    Account = apps.get_model("eventhub", "Account")
    Event = apps.get_model("eventhub", "Event")
    EventType = apps.get_model("eventhub", "EventType")
    with_events = set(
        Event.objects.filter(event_type_id=row.key).values_list("account_id", flat=True).distinct()
    )
    accounts = set(owners) | with_events
    if not accounts:
        return  # claimed by nobody: it stays a global catalog row
    tokens = dict(Account.objects.filter(pk__in=accounts).values_list("pk", "token"))
    for account_id in sorted(accounts):
        description, example = owners.get(account_id, (orphan_description, {}))
        key = f"{row.name}{SEPARATOR}{tokens[account_id]}"
        EventType.objects.update_or_create(
            key=key,
            defaults={
                "account_id": account_id,
                "name": row.name,
                "category": row.category,
                "description": description,
                "schema": row.schema,
                "schema_mode": row.schema_mode,
                "example": example,
                "source_pack": "",
                "archived": row.archived or account_id not in owners,  # its rule or configuration is gone
            },
        )
        Event.objects.filter(event_type_id=row.key, account_id=account_id).update(event_type_id=key)
    row.delete()


def split_all(
    apps, prefix: str, owners_of: Callable[[str], dict[int, tuple[str, dict]]], orphan: str
) -> None:
    EventType = apps.get_model("eventhub", "EventType")
    for row in list(EventType.objects.filter(account__isnull=True, name__startswith=prefix)):
        split_global_type(apps, row, owners_of(row.name), orphan_description=orphan)
