"""A real webhook receiver for tests: a threaded HTTP/1.1 server on a loopback address whose behaviour a
test sets (status sequence, delay, headers, huge or trickling body, hang, connection reset) and which
records every request.

Tests wait on it with deadlines (`wait_for`), never with bare sleeps.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request was read


@dataclass
class Behaviour:
    statuses: list[int] = field(default_factory=list)  # consumed one per request; then `default_status`
    default_status: int = 200
    delays: list[float] = field(default_factory=list)  # consumed one per request; then `delay`
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    body_size: int = 0  # >0: send this many bytes (Content-Length set), generated, not held in memory
    trickle_seconds: float = 0.0  # >0: send the body one byte per this many seconds
    hang: bool = False  # never answer (until the receiver stops)
    resets: int = (
        0  # reset the connection (RST, no response) after reading each of the next this many requests
    )
    reset: bool = False  # reset every request's connection


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default 5 drops SYNs when a whole batch connects at once
    daemon_threads = True
    block_on_close = False  # kept-alive connections of the sender would hold server_close() up


class Receiver:
    def __init__(self, host: str = "127.0.0.1"):
        self.behaviour = Behaviour()
        self.requests: list[Received] = []  # requests it answered (or tried to)
        self.reset_requests: list[
            Received
        ] = []  # requests it read, then reset the connection instead of answering
        self.in_flight = 0
        self.max_in_flight = 0
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server = _Server((host, 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.host = host
        self.port = self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least `count` requests arrived; fail the test with what did arrive otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"receiver got {len(self.requests)} of {count} requests within {timeout} s"
                    )
                self._cond.wait(remaining)
            return list(self.requests)

    def _take_reset(self, request: Received) -> bool:
        """Whether this request's connection is reset instead of answered (then it is not in `requests`)."""
        with self._cond:
            b = self.behaviour
            if not (b.reset or b.resets > 0):
                return False
            b.resets = max(0, b.resets - 1)
            self.reset_requests.append(request)
            return True

    def _record(self, request: Received) -> tuple[int, float]:
        with self._cond:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            b = self.behaviour
            status = b.statuses.pop(0) if b.statuses else b.default_status
            delay = b.delays.pop(0) if b.delays else b.delay
            self._cond.notify_all()
            return status, delay

    def _done(self) -> None:
        with self._cond:
            self.in_flight -= 1


def _handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output clean
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            request = Received(
                self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()
            )
            if receiver._take_reset(request):
                self._reset()
                return
            status, delay = receiver._record(request)
            try:
                self._answer(status, delay)
            except OSError:
                pass  # the sender gave up (timeout, cap): that is the behaviour under test
            finally:
                receiver._done()

        def _reset(self) -> None:
            """Close with SO_LINGER 0: the kernel sends RST, so the sender sees "connection reset by peer"."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.rfile.close()  # the last reference to the socket: now it really closes (and resets)

        def _answer(self, status: int, delay: float) -> None:
            b = receiver.behaviour
            if b.hang:  # until the sender hangs up (so in_flight counts the sender's open requests)
                self.close_connection = True
                while not receiver._stopping.is_set():
                    readable, _, _ = select.select([self.connection], [], [], 0.05)
                    if readable and not self.connection.recv(1, socket.MSG_PEEK):
                        return
                return
            if delay and receiver._stopping.wait(delay):
                return
            size = b.body_size or len(b.body)
            self.send_response(status)
            for name, value in b.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if b.trickle_seconds:
                for _ in range(size):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    if receiver._stopping.wait(b.trickle_seconds):
                        return
            elif b.body_size:
                chunk = b"x" * 65536
                sent = 0
                while sent < size:
                    piece = chunk[: size - sent]
                    self.wfile.write(piece)
                    sent += len(piece)
            else:
                self.wfile.write(b.body)

    return Handler
