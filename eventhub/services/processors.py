"""The ordered list of steps every new event goes through inside its transaction (setting
EVENTHUB_EVENT_PROCESSORS): notification rules first, so the events they cause are fanned out too.

A processor whose work is a plain insert may also offer it as a companion of the events' own INSERT
(one statement, one round trip; PostgreSQL): a `with_insert(events, depth=)` attribute returning an
`InsertCompanion` or None. A processor that offered one is not called again for those events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

DEFAULT_PROCESSORS = [
    "eventhub.services.rules.apply_notification_rules",
    "deliveries.services.fanout.create_messages",
]


@cache
def _processors():
    return [
        import_string(path) for path in getattr(settings, "EVENTHUB_EVENT_PROCESSORS", DEFAULT_PROCESSORS)
    ]


@dataclass(frozen=True)
class InsertCompanion:
    """An INSERT reading the new events' `id, token` from the CTE `inserted` (eventhub/bulk.py), its
    parameters, and what to do once the statement has run (inside the transaction). Empty SQL: the
    processor found nothing to do for these events."""

    sql: str
    params: list
    then: Callable[[], None] | None = None


@dataclass
class Companions:
    """The companion inserts of one set of new events, and the processors they stand in for."""

    inserts: list[InsertCompanion]
    processors: set[Callable]

    @property
    def sql(self) -> list[tuple[str, list]]:
        return [(insert.sql, insert.params) for insert in self.inserts if insert.sql]

    def done(self) -> None:
        for insert in self.inserts:
            if insert.then is not None:
                insert.then()


def insert_companions(events: list, *, depth: int = 0) -> Companions:
    """The processors' work that can ride on the events' INSERT (none off PostgreSQL)."""
    companions = Companions([], set())
    if not events or connection.vendor != "postgresql":
        return companions
    for processor in _processors():
        with_insert = getattr(processor, "with_insert", None)
        companion = with_insert(events, depth=depth) if with_insert else None
        if companion is not None:
            companions.inserts.append(companion)
            companions.processors.add(processor)
    return companions


def run_processors(events: list, *, depth: int = 0, companions: Companions | None = None) -> None:
    """Events a processor causes are recorded through record_events, which calls back here at depth+1.
    Processors whose companion insert already ran with the events are skipped."""
    if not events:
        return
    if companions is not None:
        companions.done()
    for processor in _processors():
        if companions is None or processor not in companions.processors:
            processor(events, depth=depth)
