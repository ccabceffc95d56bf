"""Coalesced wake-up kicks, sent off the request path. A committed publish only asks for a kick; one
thread per process sends at most one kick per window: a kick asked for when none was sent in the last
window goes at once (leading edge: an idle hub adds no window to a delivery's latency), later ones wait
for the window's end and ride together (a kick asked for at t is sent by t + window + the send itself),
so sends are at least a window apart whatever the rate of publishes, and a slow or
blackholed broker holds up this thread, never a request. At most one kick is ever pending; a kick that
is lost is harmless (the sweeper re-dispatches anything due). The thread starts lazily in the process
that asks (never in a pre-fork parent), again after a fork, and a pending kick is sent at exit."""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Callable


class CoalescingKicker:
    """Calls `send` (which must not raise) at most once per `window()` seconds while kicks are asked for."""

    def __init__(self, send: Callable[[], None], window: Callable[[], float]):
        self._send = send
        self.window = window
        self._reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)  # a forked child inherits no running thread
        atexit.register(self.drain)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._sending = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def request(self) -> None:
        """Ask for a kick; returns at once."""
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._start()
        self._wanted.set()

    def _start(self) -> None:
        with self._lock:
            self._pid = os.getpid()
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="eventhub-kicker", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        last_sent = float("-inf")
        while True:
            self._wanted.wait()
            # Everything asked for until the window since the last send ends rides on this one kick.
            time.sleep(max(0.0, last_sent + self.window() - time.monotonic()))
            with self._lock:
                if self._stopping:
                    return
                self._wanted.clear()
                self._sending = True
            last_sent = time.monotonic()
            try:
                self._send()
            finally:
                with self._lock:
                    self._sending = False
                    self._idle.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until no kick is pending or being sent (tests; shutdown). True when nothing is left."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._wanted.is_set() or self._sending:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return not (self._wanted.is_set() or self._sending)
                self._idle.wait(min(left, 0.05))
        return True

    def drain(self) -> None:
        """At exit: stop the thread and send a kick still pending, so a last publish is not left to the sweeper."""
        with self._lock:
            self._stopping = True
            pending = self._wanted.is_set() and self._pid == os.getpid()
            self._wanted.clear()
        if pending:
            self._send()
