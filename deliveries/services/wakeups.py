"""Wake-ups that a running delivery loop absorbs.

A committed publish asks a worker to claim what is now due (deliveries/kicker.py). When a loop of that lane
is already running in the worker process that receives the wake-up, that loop will claim again anyway, so
the wake-up is handed to it -- a flag it reads before each claim and before it ends -- instead of starting a
second loop that pays a task, a claim query and the broker's acknowledgements to find the same messages
(at one kick per publish this was about half of a worker's CPU, docs/performance.md). Only publish wake-ups
are absorbed: loops started for other reasons (a full claim asking for help, a budget handover, the sweeper,
retries) always start, since they are how load spreads over threads and workers.

No wake-up is lost: absorbing one and a loop's decision to end are taken under one lock, so a loop either
sees the flag and claims again, or has already stopped counting and the wake-up starts a loop of its own.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future


class LaneLoops:
    """The delivery loops running in this process per lane, and the wake-ups waiting for them."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(
            after_in_child=self.reset
        )  # a forked child (prefork) runs none of its parent's loops

    def reset(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}
        self._woken: set[str] = set()
        self._bells: dict[str, Future] = {}

    def absorb(self, lane: str) -> bool:
        """A wake-up for `lane`: True when a running loop takes it over (no new loop is needed)."""
        with self._lock:
            if self._running.get(lane, 0) > 0:
                self._woken.add(lane)
                bell = self._bells.get(lane)
                if bell is not None and not bell.done():
                    bell.set_result(True)  # a loop waiting on its sends looks up at once
                return True
            return False

    def doorbell(self, lane: str) -> Future:
        """A future the lane's loops wait on beside their sends: it completes when a wake-up arrives, so a
        loop whose sends are slow claims the new messages now, not when a send ends."""
        with self._lock:
            bell = self._bells.get(lane)
            if bell is None or bell.done():
                bell = self._bells[lane] = Future()
            return bell

    def enter(self, lane: str) -> None:
        with self._lock:
            self._running[lane] = self._running.get(lane, 0) + 1

    def take_wakeup(self, lane: str) -> bool:
        """Whether a wake-up arrived for `lane` since a loop last took one (it is taken: one loop claims for it)."""
        with self._lock:
            if lane in self._woken:
                self._woken.discard(lane)
                return True
            return False

    def finish(self, lane: str) -> bool:
        """A loop with nothing left to do ends, unless a wake-up is waiting: then False, and it claims again."""
        with self._lock:
            if lane in self._woken:
                self._woken.discard(lane)
                return False
            self._running[lane] -= 1
            return True

    def quit(self, lane: str) -> bool:
        """A loop ends whatever is waiting (its budget is spent, or it failed). True when it was the lane's last
        loop and a wake-up was waiting for it: the caller must wake a worker, or that wake-up would be lost."""
        with self._lock:
            self._running[lane] -= 1
            if self._running[lane] == 0 and lane in self._woken:
                self._woken.discard(lane)
                return True
            return False

    def running(self, lane: str) -> int:
        with self._lock:
            return self._running.get(lane, 0)


loops = LaneLoops()
