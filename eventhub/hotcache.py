"""A per-process memo for the rows every publish reads and that rarely change: the API key with its
account, the account's event types, notification rules and subscriptions. Without it a one-event
publish spends half its round trips re-reading them (docs/performance.md).

Coherence, the guarantee callers rely on: an entry is served at most EVENTHUB_HOT_CACHE_SECONDS
(at most 1 s) after the moment its read *started*, so a change that committed at time t is seen by
every process for every request that starts after t + that bound (a revoked key or a deactivated
account is refused, a new or changed subscription, rule or event type applies). No message between
processes is needed for that. Within one process a save or delete of one of those models (and a bulk
`update()` of them, made through `update_rows`) clears the memo at once, and again when the transaction
commits, so a process sees its own changes immediately, as it did before the memo.

Values are shared by the threads of a process: callers treat them as read-only (or copy them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

T = TypeVar("T")
_entries: dict[tuple, tuple[float, Any]] = {}
_loads: dict[tuple, _Load] = {}  # the read in flight per key; emptied as reads end, so bounded by the threads
_lock = threading.Lock()
_generation = 0  # bumped by every clear: a read that started before a clear neither stores nor is joined
_MAX_ENTRIES = 10_000  # a full memo is dropped whole: bounded memory without bookkeeping per read
_clock = time.monotonic  # tests stop it to look at the memo without racing its expiry


class _Load:
    """One thread's read of a key, which the threads that miss the same key meanwhile wait for."""

    def __init__(self, expires: float, generation: int) -> None:
        self.expires = expires  # its read's start + TTL: it is never served, nor joined, after that
        self.generation = generation
        self.done = threading.Event()
        self.failed = False
        self.value: Any = None


def ttl() -> float:
    return min(1.0, max(0.0, float(getattr(settings, "EVENTHUB_HOT_CACHE_SECONDS", 0.5))))


def get(key: tuple, load: Callable[[], T]) -> T:
    """The memoised value of `key`, or `load()` (stored until TTL after this call started). A miss is
    single-flight: threads that miss a key while another thread reads it wait for that read (it started
    less than TTL ago, so its result keeps the coherence bound) instead of reading it again themselves."""
    seconds = ttl()
    if seconds <= 0:
        return load()
    now = _clock()
    entry = _entries.get(key)
    if entry is not None and entry[0] > now:
        return entry[1]
    with _lock:
        flight = _loads.get(key)
        if flight is None or flight.expires <= now:
            flight = _loads[key] = _Load(now + seconds, _generation)
            leader = True
        else:
            leader = False
    if leader:
        return _lead(key, flight, load)
    flight.done.wait()
    if flight.failed:  # the leader's error may be its own (its connection, its transaction): read here
        return load()
    return flight.value


def _lead(key: tuple, flight: _Load, load: Callable[[], T]) -> T:
    """Read for every thread waiting on `flight`; store the value unless a clear came meanwhile."""
    try:
        flight.value = load()
    except BaseException:
        flight.failed = True
        raise
    else:
        with _lock:
            if flight.generation == _generation:
                if len(_entries) >= _MAX_ENTRIES:
                    _entries.clear()
                _entries[key] = (flight.expires, flight.value)
        return flight.value
    finally:
        with _lock:
            if _loads.get(key) is flight:
                del _loads[key]
        flight.done.set()


def clear(*_args: Any, **_kwargs: Any) -> None:
    """Forget everything now and once more when the current transaction commits (a reader in another
    thread may have refilled from the rows as they were before the commit). Usable as a signal receiver."""
    _clear_now()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_clear_now)


def update_rows(queryset: QuerySet, **values: Any) -> int:
    """`queryset.update(**values)` for rows this memo holds. `update()` sends no signal, so the memo is
    cleared here (now and on commit): this process's next publish sees the change at once."""
    changed = queryset.update(**values)
    if changed:
        clear()
    return changed


def _clear_now() -> None:
    """Forget the entries, and the reads in flight (they may predate the change that clears)."""
    global _generation
    with _lock:
        _entries.clear()
        _loads.clear()
        _generation += 1


def clear_on_change(*models: type) -> None:
    """Connect `clear` to the save and delete signals of these models (called by the modules that memo them)."""
    from django.db.models.signals import post_delete, post_save

    for model in models:
        post_save.connect(clear, sender=model, dispatch_uid=f"hotcache-save-{model._meta.label}")
        post_delete.connect(clear, sender=model, dispatch_uid=f"hotcache-delete-{model._meta.label}")
