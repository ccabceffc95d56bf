"""The delivery loop a worker runs: claim due messages, send them concurrently, record outcomes in bulk.

It keeps up to EVENTHUB_CLAIM_BATCH messages in flight and claims more as sends finish, so one slow
endpoint (held to its concurrency cap by the claim) never stops the loop from serving healthy ones;
outcomes are flushed as they arrive, so a hanging request does not hold back the others' records.
The loop stops when nothing is due or its time budget is spent (then it wakes a successor).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from django.conf import settings
from django.db import connection
from django.utils import timezone

from deliveries.http import Sender, SendResult, sender_for_this_thread
from deliveries.models import Message
from deliveries.services.claims import claim_messages
from deliveries.services.dispatch import ANY, RETRY, kick, kick_soon, reopen_gate
from deliveries.services.integration_outcomes import routes_for
from deliveries.services.outcomes import Outcome, record_outcomes
from deliveries.signing import SigningKeys, signed_headers, signing_keys, webhook_body
from eventhub import metrics
from subscriptions.models import IntegrationConfiguration
from subscriptions.secrets import SecretUndecryptable

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 0.2  # the longest a finished send waits to be recorded with others
IDLE_CLOSE_SECONDS = 1.0  # the late recorder keeps its connection this long after its last batch
# Record and refill in halves of a batch: finished sends free their subscription's concurrency slots
# (and the claim's room) while the rest are still on the wire, at a few statements per half.
STEP_DIVISOR = 2
# A claimed message is sent only if it can finish (delivery timeout) and be recorded (this margin) before
# its lease ends; later it is given back unsent, so no second worker ever sends it while it is in flight.
RECORD_MARGIN_SECONDS = 1.0


@dataclass
class _Delivery:
    message: Message
    lease: datetime
    url: str
    body: bytes
    secrets: SigningKeys
    started_at: datetime
    start_by: float  # time.monotonic() after which it is not sent (its lease would end mid-send)
    submitted: float = 0.0  # time.monotonic() when handed to the sender
    route: IntegrationConfiguration | None = None  # billing destinations: the configuration that routed it


def deliver_due(
    lane: str = ANY,
    *,
    now: datetime | None = None,
    budget_seconds: float | None = None,
    sender: Sender | None = None,
    detach_after: float | None = None,
) -> int:
    """Deliver due messages of `lane` until none is due; returns the number of attempts recorded. `now`
    pins the clock (tests drive retries with it); otherwise it is the wall clock.

    With `detach_after` (the worker's tasks set it), sends still running after that many seconds stop
    holding the loop: the process's late recorder writes their outcomes when they end, and the loop
    (and its worker thread) moves on, so endpoints that hang until the timeout cannot occupy every
    worker thread."""
    reopen_gate(lane)  # before the first claim: a kick asked for from now on is published (dispatch.py)
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    sender = sender or sender_for_this_thread()
    batch = max(1, int(settings.EVENTHUB_CLAIM_BATCH))
    step = max(
        1, min(batch, sender.concurrency) // STEP_DIVISOR
    )  # a claim never waits for more than the sender has
    budget = settings.EVENTHUB_DELIVERY_TASK_SECONDS if budget_seconds is None else budget_seconds
    stop_at = time.monotonic() + budget
    inflight: dict[Future, _Delivery] = {}
    finished: list[Outcome] = []
    waiting_since = 0.0  # when the oldest unrecorded outcome finished
    may_claim, helped, attempts, more_due = True, False, 0, False
    # A claim since the last record left due messages for a subscription at its cap: the sends finishing
    # free its slots, so claim again after recording. Otherwise the loop ends when its sends are recorded:
    # a message committed after it started comes with a kick of its own (dispatch.py), and a claim that
    # finds nothing was 44 % of all claims at half load (docs/performance.md, seventh round).
    held_back = False
    flowing = False  # the latest claim found work: at the end of the budget, a successor takes over
    while True:
        # Never more than the sender can start now: a claimed message must not queue behind slow sends.
        room = min(batch - len(inflight), sender.free_slots())
        if may_claim and room < step and not inflight and not finished and time.monotonic() < stop_at:
            sender.wait_for_free_slots(step, FLUSH_SECONDS)  # detached slow sends hold its threads
            continue
        if may_claim and room >= step and time.monotonic() < stop_at:
            deliveries, skipped, capped = _claim(lane, now, clock(), room)
            held_back = held_back or capped
            flowing = bool(deliveries or skipped)
            if skipped and not finished:
                waiting_since = time.monotonic()
            finished.extend(skipped)
            more_due = len(deliveries) + len(skipped) >= room
            may_claim = more_due
            if more_due and not helped:
                kick(lane)  # a full batch: more is probably due, let another worker share it
                helped = True
            for delivery in deliveries:
                inflight[_submit(sender, delivery)] = delivery
        if inflight:
            done, _ = wait(list(inflight), timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            if done and not finished:
                waiting_since = time.monotonic()
            for future in done:
                delivery, result = inflight.pop(future), future.result()
                # A pinned clock (tests) dates attempts by it; otherwise by when the request began.
                started = (
                    delivery.started_at
                    if now is not None or not result.started
                    else datetime.fromtimestamp(result.started, UTC)
                )
                finished.append(
                    Outcome(delivery.message, delivery.lease, delivery.url, started, result, delivery.route)
                )
            if (
                detach_after is not None
                and inflight
                and all(time.monotonic() - d.submitted >= detach_after for d in inflight.values())
            ):
                for future, delivery in inflight.items():
                    future.add_done_callback(partial(_record_late, delivery))
                inflight = {}
        if finished and (
            not inflight or len(finished) >= step or time.monotonic() - waiting_since >= FLUSH_SECONDS
        ):
            recorded = record_outcomes(finished, clock())
            attempts += recorded.attempts
            if recorded.soonest_retry is not None and now is None:
                kick_soon(RETRY, recorded.soonest_retry)
            finished = []
            # Sends finished: subscriptions at their cap have room again, messages handed back unsent are due.
            may_claim = may_claim or held_back or bool(recorded.given_back)
            held_back = False
        if not inflight and not finished and (not may_claim or time.monotonic() >= stop_at):
            break
    if (more_due or flowing) and time.monotonic() >= stop_at:
        # Budget spent while work was still coming: hand over instead of hogging the worker. "More due"
        # alone is not enough: when subscriptions sit at their concurrency cap, no claim fills its batch.
        kick(lane)
    return attempts


def _claim(
    lane: str, pinned: datetime | None, now: datetime, limit: int
) -> tuple[list[_Delivery], list[Outcome], bool]:
    """Claim (by the database's clock unless `pinned`) with the claimed rows' events and subscriptions;
    the flag says whether due messages were held back by a subscription's concurrency cap."""
    claimed_at = time.monotonic()  # no later than the database's lease start: a safe local deadline
    messages, lease, held_back = claim_messages(lane, pinned, limit)
    metrics.claimed(len(messages))
    if not messages:
        return [], [], held_back
    seconds = float(settings.EVENTHUB_LEASE_SECONDS)
    start_by = claimed_at + max(
        seconds - float(settings.EVENTHUB_DELIVERY_TIMEOUT) - RECORD_MARGIN_SECONDS, seconds * 0.1
    )
    routes = routes_for(messages)
    deliveries, skipped = [], []
    bodies: dict[int, bytes] = {}
    secrets: dict[int, SigningKeys | str] = {}  # a str: why the subscription's secrets cannot be used
    for message in messages:
        subscription, route = message.subscription, routes.get(message.id)
        if subscription.disabled or (route is not None and not route.enabled):
            skipped.append(Outcome(message, lease, subscription.url, now, None, route))
            continue
        if message.event_id not in bodies:
            bodies[message.event_id] = webhook_body(message.event.payload)
        if subscription.id not in secrets:
            try:
                secrets[subscription.id] = signing_keys(subscription, now)
            except SecretUndecryptable as exc:
                secrets[subscription.id] = str(exc)
        if isinstance(secrets[subscription.id], str):
            # Only this subscription's messages fail (an attempt with the error, then the retry schedule);
            # the rest of the batch is sent.
            unsent = SendResult(0, "", secrets[subscription.id], 0, started=time.time())
            skipped.append(Outcome(message, lease, subscription.url, now, unsent, route))
            continue
        deliveries.append(
            _Delivery(
                message,
                lease,
                subscription.url,
                bodies[message.event_id],
                secrets[subscription.id],
                now,
                start_by,
                route=route,
            )
        )
    return deliveries, skipped, held_back


class _LateRecorder:
    """One thread per worker process that records detached sends' outcomes in batches, on one database
    connection of its own. Outcomes it could not record are not lost: their lease runs out and the
    message is sent again (at-least-once)."""

    def __init__(self):
        self.queue: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self.pid = os.getpid()
        threading.Thread(target=self._run, name="late-recorder", daemon=True).start()

    def add(self, delivery: _Delivery, future: Future) -> None:
        result = future.result()
        started = datetime.fromtimestamp(result.started, UTC) if result.started else delivery.started_at
        self.queue.put(
            Outcome(delivery.message, delivery.lease, delivery.url, started, result, delivery.route)
        )

    def _run(self) -> None:
        while True:
            try:
                batch = [self.queue.get(timeout=IDLE_CLOSE_SECONDS)]
            except queue.Empty:
                connection.close()  # idle: give the connection back until slow sends come again
                batch = [self.queue.get()]
            time.sleep(FLUSH_SECONDS / 4)  # let outcomes finishing together share the statements
            while not self.queue.empty() and len(batch) < 500:
                batch.append(self.queue.get())
            try:
                recorded = record_outcomes(batch, timezone.now())
                if recorded.soonest_retry is not None:
                    kick_soon(RETRY, recorded.soonest_retry)
                for lane in recorded.given_back:
                    kick(lane)
            except Exception:
                logger.exception(
                    "could not record %d outcomes of slow sends; their leases will expire", len(batch)
                )
                connection.close()


_late_recorder: _LateRecorder | None = None
_late_lock = threading.Lock()


def _record_late(delivery: _Delivery, future: Future) -> None:
    """Done-callback of a detached send (runs on the sending thread): hand the outcome to the recorder."""
    global _late_recorder
    with _late_lock:
        if _late_recorder is None or _late_recorder.pid != os.getpid():
            _late_recorder = _LateRecorder()
    _late_recorder.add(delivery, future)


def _submit(sender: Sender, delivery: _Delivery) -> Future:
    delivery.submitted = time.monotonic()
    token, body, secrets, url = delivery.message.token, delivery.body, delivery.secrets, delivery.url
    return sender.submit(
        delivery.url,
        body,
        lambda: signed_headers(token, int(time.time()), body, secrets, url=url),
        start_by=delivery.start_by,
    )
