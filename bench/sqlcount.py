"""Opt-in statement counting for the benchmark's "SQL per delivered message" figure.

The benchmark starts the web server and workers with `EVENTHUB_EXTRA_APPS=bench.sqlcount.SqlCountConfig`
(the hub itself never installs it) and EVENTHUB_SQL_COUNT_DIR set: every database connection of this
process counts the statements it executes (Django's execute wrappers: execute and executemany, one each), and a daemon thread writes the
running total to `<dir>/<pid>.count` twice a second, so the harness can sum web and worker processes
without stopping them.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from django.apps import AppConfig
from django.db.backends.signals import connection_created

_lock = threading.Lock()
_total = 0


def _count(execute, sql, params, many, context):
    global _total
    with _lock:
        _total += 1
    return execute(sql, params, many, context)


def _install_on(sender, connection, **kwargs) -> None:
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


def _write_forever(path: Path) -> None:
    while True:
        path.write_text(str(_total))
        time.sleep(0.5)


def install_from_environment() -> None:
    directory = os.environ.get("EVENTHUB_SQL_COUNT_DIR")
    if not directory:
        return
    connection_created.connect(_install_on, weak=False)
    path = Path(directory) / f"{os.getpid()}.count"
    threading.Thread(target=_write_forever, args=(path,), daemon=True, name="sql-count").start()


class SqlCountConfig(AppConfig):
    name = "bench.sqlcount"
    label = "bench_sqlcount"

    def ready(self) -> None:
        install_from_environment()
