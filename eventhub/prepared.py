"""Statements PostgreSQL prepares once per connection: the hot paths whose text is the same from run to
run (a one-event publish's INSERT, the delivery loop's claim) bind their values on the server, so each
run skips parsing and planning (planning the claim cost twice its execution). The connection's
prepare_threshold (eventhub/settings.py) prepares them at their first run. Off with
EVENTHUB_DB_PREPARED_STATEMENTS=0, behind PgBouncer in transaction mode (prepared statements belong to
one server connection)."""

from __future__ import annotations

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def prepared_cursor() -> CursorWrapper:
    """A cursor that binds on the server (PostgreSQL, setting on), else Django's own. Same connection, so
    same transaction; errors are Django's, as with connection.cursor()."""
    if connection.vendor != "postgresql" or not settings.EVENTHUB_DB_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return _ServerBoundDebugCursor(cursor, connection)
    return connection.make_cursor(cursor)


class _ServerBoundDebugCursor(CursorDebugWrapper):
    """Logs (DEBUG, tests) the statement as Django's server-binding backend does: its text with the
    values quoted in (a prepared run leaves no query text on the psycopg cursor to log)."""

    def execute(self, sql: str, params: list | dict | None = None) -> None:
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)
