"""The ordered list of steps every new event goes through inside its transaction (setting
EVENTHUB_EVENT_PROCESSORS): notification rules first, so the events they cause are fanned out too.

A processor whose work is a plain insert may also offer it as a companion of the events' own INSERT
(one statement, one round trip; PostgreSQL): a `with_insert(events, depth=)` attribute returning an
`InsertCompanion` or None. A processor that offered one is not called again for those events.

A processor may also say, before the insert, that it has nothing to do for these events: an
`idle_for(events, depth=)` attribute returning True (it must then write nothing for them; it is not
called). When every processor is covered by its companion or idle (`nothing_after_insert`), the events'
INSERT is all there is to write and ingest may run it without BEGIN/COMMIT. A processor that declares
neither is assumed to have work, so a new processor never silently loses the events' transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
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


def _forget_processors(*, setting: str, **kwargs) -> None:
    """Tests that override EVENTHUB_EVENT_PROCESSORS get the processors they name."""
    if setting == "EVENTHUB_EVENT_PROCESSORS":
        _processors.cache_clear()


setting_changed.connect(_forget_processors)


@dataclass(frozen=True)
class InsertCompanion:
    """An INSERT reading the new events' `id, token` from the CTE `inserted` (eventhub/bulk.py), its
    parameters, and what to do once the statement has run (inside the transaction, or after the
    statement's own commit in autocommit). Empty SQL: the processor found nothing to do for these events."""

    sql: str
    params: list
    then: Callable[[], None] | None = None  # may run after the statement committed: on_commit work only


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


def nothing_after_insert(events: list, companions: Companions, *, depth: int = 0) -> bool:
    """True when the events' INSERT and its companions are all the processors would write for these
    events: each processor rode on the insert or declared itself idle. Asked before the insert."""
    if not events:
        return True
    for processor in _processors():
        if processor in companions.processors:
            continue
        idle_for = getattr(processor, "idle_for", None)
        if idle_for is None or not idle_for(events, depth=depth):
            return False
    return True


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
