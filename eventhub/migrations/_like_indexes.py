"""Shared by eventhub 0010 and deliveries 0007 (a leading `_` keeps the loader off this module): drop the
`varchar_pattern_ops` indexes Django's PostgreSQL backend adds beside every unique or indexed CharField.

They serve only `LIKE 'prefix%'` on the column. Tokens are looked up exactly (the API, and the admin's
token searches: `eventhub/admin_base.py`, `deliveries/admin.py`), and event types by key or by the
catalog row's name, never with LIKE on the event's column; yet every publish and attempt paid for a
second B-tree insert per token (2,500 messages and 500 events per batch of 500).

`CONCURRENTLY`, outside a transaction (the migrations are not atomic): a live hub keeps publishing and
claiming while the index goes, instead of queueing behind an exclusive lock on its busiest tables.
Django drops these indexes with `IF EXISTS` when a later migration changes such a field, so no later
migration fails; one that makes such a field a varchar with an index again creates its `_like` index again.
"""

from __future__ import annotations

# (app label, model name, column) of the indexes each migration drops.
EVENT_COLUMNS = (("eventhub", "Event", "token"), ("eventhub", "Event", "event_type"))
DELIVERY_COLUMNS = (("deliveries", "Message", "token"), ("deliveries", "MessageAttempt", "token"))


def like_index_name(schema_editor, table: str, column: str) -> str:
    """The name Django gave the index (its own rule, so no name is hard-coded)."""
    return schema_editor._create_index_name(table, [column], suffix="_like")


def _tables(apps, columns) -> list[tuple[str, str]]:
    return [(apps.get_model(app, model)._meta.db_table, column) for app, model, column in columns]


def drop_like_indexes(apps, schema_editor, columns) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in _tables(apps, columns):
        name = schema_editor.quote_name(like_index_name(schema_editor, table, column))
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def create_like_indexes(apps, schema_editor, columns) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in _tables(apps, columns):
        name = schema_editor.quote_name(like_index_name(schema_editor, table, column))
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON "
            f"{schema_editor.quote_name(table)} ({schema_editor.quote_name(column)} varchar_pattern_ops)"
        )
