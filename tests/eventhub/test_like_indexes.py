"""Token and event-type columns of the hot tables carry no `LIKE` (varchar_pattern_ops) index on
PostgreSQL: every publish and attempt paid a second B-tree insert per token for a query the hub never
runs (eventhub/migrations/_like_indexes.py). Exact lookups still use the unique index."""

from __future__ import annotations

import pytest
from django.db import connection

from deliveries.models import Message, MessageAttempt
from eventhub.models import Event

pytestmark = pytest.mark.django_db

HOT_TABLES = (Event._meta.db_table, Message._meta.db_table, MessageAttempt._meta.db_table)


def _indexes(tables) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [list(tables)])
        return dict(cursor.fetchall())


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("varchar_pattern_ops indexes exist only on PostgreSQL")


def test_the_hot_tables_have_no_pattern_ops_index():
    indexes = _indexes(HOT_TABLES)
    assert indexes, "the tables' indexes were read"
    assert [name for name, definition in indexes.items() if "pattern_ops" in definition] == []
    # The unique indexes on the tokens are still there, as the lookups need.
    for table in HOT_TABLES:
        assert any(
            definition.startswith("CREATE UNIQUE INDEX") and "(token)" in definition
            for name, definition in indexes.items()
            if f" ON public.{table} " in definition
        ), table


def test_a_token_lookup_still_uses_an_index_scan():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: make the planner show its index
        cursor.execute(f"EXPLAIN SELECT id FROM {Message._meta.db_table} WHERE token = %s", ["msg_x"])
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert f"{Message._meta.db_table}_token_key" in plan, plan  # the unique index, now the only one
