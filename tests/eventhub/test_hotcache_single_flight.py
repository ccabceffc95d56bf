"""`hotcache.get` is single-flight per key: when an entry is missing (or expired) the threads of a process
that ask for it meanwhile wait for one thread's read instead of each repeating it (under load an expiry
made every thread reload: ~10 % of the web's Python CPU). A failed read makes no waiter hang: each then
reads in its own thread (the error may be the reader's own). A read overtaken by a clear is neither
stored nor handed to threads that ask after the clear."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from eventhub import hotcache

THREADS = 8
KEY = ("test-single-flight",)


@pytest.fixture(autouse=True)
def frozen_memo(monkeypatch, settings):
    settings.EVENTHUB_HOT_CACHE_SECONDS = 1.0
    monkeypatch.setattr("eventhub.hotcache._clock", lambda: 1000.0)  # no expiry mid-test
    hotcache.clear()
    yield
    hotcache.clear()


class Reader:
    """A loader that counts its calls; the first blocks until released (and fails if told to)."""

    def __init__(self, first_fails: bool = False) -> None:
        self.calls = 0
        self.first_fails = first_fails
        self.first_started = threading.Event()
        self.release = threading.Event()
        self.first_ended = False
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.calls += 1
            first = self.calls == 1
        if not first:
            return "after the first" if self.first_ended else "beside the first"
        self.first_started.set()
        self.release.wait(10)
        self.first_ended = True
        if self.first_fails:
            raise ConnectionError("the first read failed")
        return "first"


def _ask_in_threads(count: int, load: Reader) -> tuple[list[threading.Thread], list]:
    """`count` threads calling hotcache.get(KEY, load); each appends its value or its exception."""
    results: list = []

    def ask() -> None:
        try:
            results.append(hotcache.get(KEY, load))
        except ConnectionError as error:
            results.append(error)

    threads = [threading.Thread(target=ask) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def _waiting(thread: threading.Thread) -> bool:
    """The thread is blocked in an Event.wait (the loader's: a read of its own; or hotcache's: a waiter),
    or it has already ended."""
    if not thread.is_alive():
        return True
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code is threading.Event.wait.__code__:
            return True
        frame = frame.f_back
    return False


def _wait_until_all_wait(threads: list[threading.Thread]) -> None:
    deadline = time.monotonic() + 10
    while not all(_waiting(thread) for thread in threads):
        assert time.monotonic() < deadline, "the threads never blocked nor ended"
        time.sleep(0.005)


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive(), "a thread hangs"


def test_threads_missing_the_same_key_at_once_cause_one_read():
    load = Reader()
    threads, results = _ask_in_threads(THREADS, load)
    _wait_until_all_wait(threads)
    load.release.set()
    _join(threads)
    assert load.calls == 1
    assert results == ["first"] * THREADS
    assert hotcache.get(KEY, load) == "first" and load.calls == 1


def test_a_failed_read_reaches_its_reader_and_each_waiter_then_reads_itself():
    load = Reader(first_fails=True)
    threads, results = _ask_in_threads(THREADS, load)
    _wait_until_all_wait(threads)
    load.release.set()
    _join(threads)
    errors = [result for result in results if isinstance(result, ConnectionError)]
    assert len(errors) == 1
    assert sorted(result for result in results if not isinstance(result, ConnectionError)) == [
        "after the first"
    ] * (THREADS - 1)


def test_a_read_overtaken_by_a_clear_is_not_stored():
    load = Reader()
    first, results = _ask_in_threads(1, load)
    assert load.first_started.wait(10)
    hotcache.clear()  # e.g. a subscription saved in this process while the read was on its way
    assert hotcache.get(KEY, load) == "beside the first"  # not made to wait for the older read
    load.release.set()
    _join(first)
    assert results == ["first"]
    assert hotcache.get(KEY, load) == "beside the first"
