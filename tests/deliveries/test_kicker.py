"""The kicker thread: committed publishes ask for a kick and return at once; one thread per process sends
at most one kick per window, never more than one pending, restarts after a fork and sends a pending kick
at exit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from deliveries.kicker import CoalescingKicker
from tests.e2e.conftest import REPO


class Sends:
    """A send that records when it ran and can be held, like a blackholed broker."""

    def __init__(self):
        self.times: list[float] = []
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Event()

    def __call__(self) -> None:
        self.started.set()
        self.release.wait(10)
        self.times.append(time.monotonic())


@pytest.fixture
def sends() -> Sends:
    return Sends()


def test_kicks_asked_for_within_a_window_after_a_kick_are_sent_once(sends):
    kicker = CoalescingKicker(sends, lambda: 0.2)
    kicker.request()
    assert kicker.flush()
    for _ in range(50):
        kicker.request()
    assert kicker.flush()
    assert len(sends.times) == 2  # the first at once, the fifty together


def test_an_idle_kicker_sends_at_once_and_a_busy_one_by_the_end_of_its_window(sends):
    kicker = CoalescingKicker(sends, lambda: 0.3)
    asked = time.monotonic()
    kicker.request()
    assert kicker.flush()
    assert sends.times[0] < asked + 0.25  # leading edge: no window after an idle spell
    kicker.request()
    assert kicker.flush()
    assert sends.times[0] + 0.3 <= sends.times[1] < sends.times[0] + 2.0  # slack for a loaded machine


def test_asking_never_waits_for_a_blocked_broker_and_leaves_one_kick_pending(sends):
    kicker = CoalescingKicker(sends, lambda: 0.001)
    sends.release.clear()  # the broker holds the first send
    kicker.request()
    assert sends.started.wait(5)
    started = time.monotonic()
    for _ in range(100):
        kicker.request()
    assert time.monotonic() - started < 0.1  # 100 requests while the send hangs: none of them waited
    sends.release.set()
    assert kicker.flush()
    assert len(sends.times) == 2  # the held kick, then one for everything asked for meanwhile


def test_a_forked_child_sends_its_kicks_from_its_own_thread(sends):
    kicker = CoalescingKicker(sends, lambda: 0.001)
    kicker.request()  # the parent's thread is running
    assert kicker.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread did not survive the fork
        try:
            kicker.request()
            ok = kicker.flush(5) and len(sends.times) == 2
            os.write(write_end, b"sent" if ok else b"lost")
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    assert os.read(read_end, 10) == b"sent"
    os.close(read_end)


def test_a_kick_pending_at_exit_is_sent():
    script = (
        "from deliveries.kicker import CoalescingKicker\n"
        "kicker = CoalescingKicker(lambda: print('kick sent', flush=True), lambda: 60.0)\n"
        "kicker.request()\n"  # sent at once: the kicker was idle
        "assert kicker.flush()\n"
        "kicker.request()\n"  # the window is a minute: only the exit handler can send this one
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "kick sent\nkick sent\n"
