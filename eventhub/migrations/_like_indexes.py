"""Shared by eventhub 0010 and deliveries 0007 (a leading `_` keeps the loader off this module): drop the
`varchar_pattern_ops` indexes Django's PostgreSQL backend adds beside every unique or indexed CharField.

They serve only `LIKE 'prefix%'` on the column. Tokens are looked up exactly (the API, and the admin's
token search: `admin_base.py`), and event types by key or by the catalog row's name, never with LIKE on
the event's column; yet every publish and attempt paid for a second B-tree insert per token (2,500
messages and 500 events per batch of 500). Django drops these indexes with `IF EXISTS` when a later
migration changes such a field, so dropping them here breaks no future migration; a migration that
makes such a field unique or indexed again creates its `_like` index again.
"""

from __future__ import annotations

from collections.abc import Callable


def like_index_name(schema_editor, table: str, column: str) -> str:
    """The name Django gave the index (its own rule, so no name is hard-coded)."""
    return schema_editor._create_index_name(table, [column], suffix="_like")


def dropping(*fields: tuple[str, str, str]) -> tuple[Callable, Callable]:
    """(forward, backward) RunPython functions for (app label, model name, column) triples; PostgreSQL only."""

    def tables(apps):
        return [(apps.get_model(app, model)._meta.db_table, column) for app, model, column in fields]

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, column in tables(apps):
            name = like_index_name(schema_editor, table, column)
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, column in tables(apps):
            name = like_index_name(schema_editor, table, column)
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON "
                f"{schema_editor.quote_name(table)} ({schema_editor.quote_name(column)} varchar_pattern_ops)"
            )

    return forward, backward
