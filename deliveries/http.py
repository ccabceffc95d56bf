"""Sending one webhook over HTTP: pooled keep-alive connections, a hard wall-clock deadline, no redirects,
a capped response read, and the SSRF policy checked on the address actually connected to.

It is urllib3's pool manager used directly, not `requests`: a send needs no cookies, proxies, hooks or
redirects, and requests' per-call session merging and request preparation were a quarter of a worker's
Python CPU per delivery (docs/performance.md, "Fifth round").

The SSRF check runs inside urllib3's connection setup (`getpeername()` of the connected socket), so a
host name that resolves to an allowed address when the URL is saved and to a refused one at send time
(DNS rebinding) is refused. The deadline is enforced by a watchdog thread that shuts the socket down,
which also stops servers that trickle headers or body a byte at a time (socket read timeouts alone
restart on every byte).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import certifi
from django.conf import settings
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError
from urllib3.response import BaseHTTPResponse
from urllib3.util import Timeout

from subscriptions.ssrf import BlockedDestination, address_allowed

logger = logging.getLogger(__name__)
USER_AGENT = "EventHub-Webhooks/1.0"
DEFAULT_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "*/*",
    "Accept-Encoding": "identity",
    "Content-Type": "application/json",
}
_CHUNK = 8192
_current = threading.local()  # the deadline of the request this thread is sending, if any


class _Deadline:
    """One request's deadline; sockets attached to it are shut down when it passes before `finish()`."""

    def __init__(self, at: float):
        self.at = at
        self.fired = False
        self.done = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            if self.fired:
                _shutdown(sock)
            elif not self.done:
                self._socks.append(sock)

    def fire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.fired = True
            for sock in self._socks:
                _shutdown(sock)

    def finish(self) -> None:
        """Called before the connection goes back to the pool, so a late fire cannot break a reused socket."""
        with self._lock:
            self.done = True
            self._socks.clear()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Watchdog:
    """A single thread per process firing deadlines in order (a heap; finished entries are skipped)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._seq = itertools.count()
        self._pid: int | None = None

    def arm(self, seconds: float) -> _Deadline:
        deadline = _Deadline(time.monotonic() + seconds)
        with self._cond:
            if self._pid != os.getpid():  # first use, or a forked child without the parent's thread
                self._pid, self._heap = os.getpid(), []
                threading.Thread(target=self._run, name="webhook-deadlines", daemon=True).start()
            heapq.heappush(self._heap, (deadline.at, next(self._seq), deadline))
            if self._heap[0][2] is deadline:
                self._cond.notify()
        return deadline

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                    heapq.heappop(self._heap)[2].fire()
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


_watchdog = _Watchdog()


class _GuardedConnectionMixin:
    """Refuse the connection when the peer address is not allowed; tie the socket to the request deadline."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        try:
            peer = sock.getpeername()[0]
        except OSError:
            sock.close()
            raise
        if not address_allowed(peer, self.host):
            sock.close()
            raise BlockedDestination(f"{self.host} is {peer}, an address the SSRF policy refuses")
        _attach(sock)
        return sock

    def request(self, *args, **kwargs):
        if self.sock is not None:  # a kept-alive connection: its socket predates this request
            _attach(self.sock)
        return super().request(*args, **kwargs)


def _attach(sock: socket.socket) -> None:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.attach(sock)


class GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


def new_pool(pool_size: int) -> PoolManager:
    """Keep-alive pools per endpoint (up to 64 endpoints, `pool_size` connections each). urllib3 never reads
    environment proxies (they would hide the real peer from the SSRF check) and keeps no cookies; retries
    and redirects are off (the schedule retries; a redirect is a failure)."""
    manager = PoolManager(
        num_pools=64,
        maxsize=max(1, pool_size),
        retries=False,
        ca_certs=certifi.where(),  # the CA bundle `requests` verified against before
    )
    manager.pool_classes_by_scheme = {"http": GuardedHTTPConnectionPool, "https": GuardedHTTPSConnectionPool}
    return manager


@dataclass(frozen=True)
class SendResult:
    status_code: int  # 0 when no response arrived
    body: str
    error: str
    duration_ms: int
    retry_after: str | None = None
    started: float = 0.0  # wall-clock time.time() when the request began
    sent: bool = True  # False: never started (its lease would end before it could finish); give it back

    @property
    def success(self) -> bool:
        return 200 <= self.status_code < 300


NOT_STARTED = SendResult(0, "", "not started before its lease's deadline", 0, sent=False)


def post(pool: PoolManager, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    """One POST within EVENTHUB_DELIVERY_TIMEOUT in all; 2xx is success, 3xx is a failure (not followed)."""
    total = float(settings.EVENTHUB_DELIVERY_TIMEOUT)
    cap = int(settings.EVENTHUB_RESPONSE_BODY_CAP)
    started, wall = time.monotonic(), time.time()
    deadline = _watchdog.arm(total)
    _current.deadline = deadline
    response = None
    try:
        response = pool.urlopen(
            "POST",
            url,
            body=body,
            headers=DEFAULT_HEADERS | headers,
            timeout=Timeout(connect=min(float(settings.EVENTHUB_CONNECT_TIMEOUT), total), read=total),
            redirect=False,
            retries=False,
            preload_content=False,
        )
        text, cut = _read_capped(response, cap)
        error = ""
        if cut and deadline.fired:
            error = f"response body cut at the {total:g} s deadline"
        elif 300 <= response.status < 400:
            error = f"redirect not followed (Location: {response.headers.get('Location', '')[:300]})"
        return SendResult(
            response.status, text, error, _ms(started), response.headers.get("Retry-After"), wall
        )
    except BlockedDestination as exc:
        return SendResult(0, "", f"blocked: {exc}"[:500], _ms(started), started=wall)
    except NewConnectionError as exc:  # a ConnectTimeoutError subclass, but a refusal, not a timeout
        return SendResult(0, "", f"ConnectionError: {_reason(exc)}"[:500], _ms(started), started=wall)
    except ConnectTimeoutError:
        return SendResult(0, "", "connect timeout", _ms(started), started=wall)
    except (HTTPError, OSError) as exc:
        if deadline.fired or isinstance(exc, ReadTimeoutError):
            return SendResult(
                0, "", f"timeout: no complete response within {total:g} s", _ms(started), started=wall
            )
        return SendResult(0, "", f"ConnectionError: {_reason(exc)}"[:500], _ms(started), started=wall)
    finally:
        deadline.finish()
        _current.deadline = None
        if response is not None:
            response.release_conn()


def _read_capped(response: BaseHTTPResponse, cap: int) -> tuple[str, bool]:
    """At most `cap` bytes; True if cut short. A cut response's connection is closed (the rest is never
    read), a complete one goes back to the pool for the next send."""
    chunks, size, cut = [], 0, False
    try:
        for chunk in response.stream(_CHUNK):
            chunks.append(chunk[: cap - size])
            size += len(chunks[-1])
            if size >= cap:
                cut = True
                break
    except (HTTPError, OSError):
        cut = True
    if cut and response.connection is not None:
        response.connection.close()
    return b"".join(chunks).decode("utf-8", errors="replace"), cut


def _reason(exc: Exception) -> str:
    """The cause without the connection urllib3 names in front of it: a NewConnectionError's text is
    f"{exc.conn}: {message}" (its constructor), so the prefix goes by that, not by parsing the wording."""
    text, conn = str(exc), getattr(exc, "conn", None)
    return text.removeprefix(f"{conn}: ") if conn is not None else text


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class Sender:
    """A keep-alive pool manager and the threads that send claimed messages concurrently (one per worker
    thread, reused across tasks, so connections to busy endpoints stay open).

    Its queue is bounded by what the claim takes: `free_slots()` is how many sends could start right now
    (detached slow sends still hold their threads), and the engine never claims more than that, so no
    claimed message waits in a queue while its lease runs out."""

    def __init__(self, concurrency: int):
        self.concurrency = max(1, concurrency)
        self.pool = new_pool(self.concurrency)
        self.executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="webhook-send")
        self._busy = 0
        self._cond = threading.Condition()

    def free_slots(self) -> int:
        with self._cond:
            return self.concurrency - self._busy

    def wait_for_free_slots(self, count: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.concurrency - self._busy >= count, timeout)

    def submit(self, url: str, body: bytes, headers_factory, start_by: float | None = None) -> Future:
        """`headers_factory()` runs on the sending thread, so the signed timestamp is the send time.
        The future always holds a SendResult: an unexpected error becomes a failed attempt (and is
        logged), never an exception that would stop the loop recording the rest of its batch. A send
        that has not started by `start_by` (time.monotonic()) is not sent: its result is NOT_STARTED."""
        with self._cond:
            self._busy += 1
        future = self.executor.submit(self._send, url, body, headers_factory, start_by)
        future.add_done_callback(self._release)
        return future

    def _release(self, future: Future) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify()

    def _send(self, url: str, body: bytes, headers_factory, start_by: float | None = None) -> SendResult:
        started = time.monotonic()
        if start_by is not None and started > start_by:
            return NOT_STARTED
        try:
            return post(self.pool, url, body, headers_factory())
        except Exception as exc:
            logger.exception("unexpected error sending to %s", url)
            return SendResult(
                0, "", f"internal error: {type(exc).__name__}: {exc}"[:500], _ms(started), started=time.time()
            )


_senders = threading.local()


def sender_for_this_thread() -> Sender:
    sender = getattr(_senders, "sender", None)
    if sender is None or getattr(_senders, "pid", None) != os.getpid():
        sender = _senders.sender = Sender(int(settings.EVENTHUB_CLAIM_BATCH))
        _senders.pid = os.getpid()
    return sender
