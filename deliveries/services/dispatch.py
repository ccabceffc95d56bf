"""Waking workers. The broker only wakes work (the database is the source of truth), so a kick that is
lost is harmless: beat's sweeper re-dispatches anything due. Kicks therefore never fail their caller.

With a shared cache (EVENTHUB_KICK_GATE, on with a Redis cache), at most one immediate kick per lane waits
in the broker: a kick is only published when it can set the lane's "queued" key, and a delivery loop
clears the key when it starts, before its first claim. A kick that finds the key set is not needed: the
queued task has not claimed yet, so it will see every message committed before the kick was asked for.
Without the gate, every web process sent one kick per few milliseconds under load, and the worker spent
a third of its CPU per delivery receiving, acking and running tasks whose claim found what a running loop
had already taken (docs/performance.md, "Fifth round").
The key expires after KICK_GATE_SECONDS, so a kick lost in the broker or held by a busy worker delays
the next one at most that long; a cache that fails opens the gate (the kick is sent).
"""

from __future__ import annotations

import logging
import time

from celery import current_app
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from deliveries.kicker import CoalescingKicker
from eventhub.shared_cache import add_flag, delete_flag

logger = logging.getLogger(__name__)

FIRST = "first"  # first tries, resends and recovered messages (schedule_step == 0)
RETRY = "retry"  # scheduled retries (schedule_step > 0): their own queue, so a failing endpoint never delays first tries
ANY = "any"
LANES = (FIRST, RETRY)
# Kicks may be delayed at most this long (retries become due in the schedule's first seconds); anything
# later is the sweeper's job: no long Celery countdowns, retries are rows with next_attempt_at.
MAX_KICK_DELAY = 5.0
_next_delayed_kick = 0.0
# The Celery entry points of `deliveries.tasks`, by registered name: tasks import services, so services
# enqueue by name (DeliveriesConfig.ready() imports the tasks module, so every process has them registered
# and routing, eager mode and test doubles apply as if the task object were called).
DELIVER_DUE = "deliveries.deliver_due"
DELIVER_RETRIES = "deliveries.deliver_retries"
RUN_RECOVERY_JOB = "deliveries.run_recovery_job"


def enqueue(task_name: str, *args, countdown: float | None = None) -> None:
    """Queue a registered task by name; broker errors propagate (callers decide whether they are harmless)."""
    current_app.signature(task_name, args=args).apply_async(countdown=countdown, retry=False)


KICK_GATE_SECONDS = 1


def kick(lane: str = FIRST, *, delay: float = 0.0, gated: bool = True) -> None:
    """Wake a worker for `lane`. `gated=False` (the sweeper) always publishes: the gate may be held by
    the very kick whose loss the sweeper is there to make good (a publish still hanging on a dead broker
    holds it until it fails), and a sweep's kick skipped then would leave the work to the next sweep."""
    if gated and not delay and lane in LANES and not _open_gate(lane):
        return  # a kick of this lane is already waiting for a worker
    try:
        enqueue(DELIVER_RETRIES if lane == RETRY else DELIVER_DUE, countdown=delay or None)
    except (OperationalError, OSError) as exc:
        reopen_gate(lane)
        logger.warning("could not wake a %s worker (the sweeper will): %s", lane, exc)


def gate_key(lane: str) -> str:
    """The gate of FIRST or RETRY; ANY (tests' loops over both lanes) has none: its kicks always go."""
    return f"eventhub:kick-queued:{lane}"


def _open_gate(lane: str) -> bool:
    """True when this caller may publish the lane's kick (no other one waits in the broker)."""
    if not settings.EVENTHUB_KICK_GATE:
        return True
    try:
        return add_flag(gate_key(lane), KICK_GATE_SECONDS)
    except Exception as exc:  # the cache's own errors vary by backend; a kick too many is harmless
        logger.debug("kick gate unavailable, kicking anyway: %s", exc)
        return True


def reopen_gate(lane: str) -> None:
    """A delivery loop of `lane` is starting (or a kick was not sent): the next kick must be published."""
    if not settings.EVENTHUB_KICK_GATE or lane not in LANES:
        return
    try:
        delete_flag(gate_key(lane))
    except Exception as exc:
        logger.debug("kick gate unavailable: %s", exc)


def kick_soon(lane: str, delay: float) -> None:
    """A delayed kick for messages due within MAX_KICK_DELAY; at most one outstanding per process."""
    global _next_delayed_kick
    if delay > MAX_KICK_DELAY:
        return
    fires_at = time.monotonic() + delay
    if _next_delayed_kick > time.monotonic() and _next_delayed_kick <= fires_at + 1.0:
        return  # an earlier kick is already on its way and will pick these up
    _next_delayed_kick = fires_at
    kick(lane, delay=max(delay, 0.0))


def _kick_first_lane() -> None:
    kick(FIRST)


# First-lane kicks of committed transactions, coalesced per process and sent by its kicker thread.
committed_kicks = CoalescingKicker(_kick_first_lane, lambda: settings.EVENTHUB_KICK_COALESCE_SECONDS)


def _request_first_lane_kick() -> None:
    committed_kicks.request()


def flush_kicks(timeout: float = 5.0) -> bool:
    """Wait until the kicks asked for so far have been sent (tests, and anything that must see them)."""
    return committed_kicks.flush(timeout)


def kick_on_commit() -> None:
    """At most one kick per transaction however many messages it creates (nested ingest included), and
    sent by the kicker thread after the commit, coalesced with other transactions' (deliveries/kicker.py)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func is _request_first_lane_kick for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_request_first_lane_kick, robust=True)
