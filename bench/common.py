"""What every scenario needs: a fast receiver in its own process, the hub's processes (Celery workers,
the web server) on a throwaway test database, percentiles, resident memory, and the result rows.

The receiver is a small asyncio HTTP/1.1 server (keep-alive, TCP_NODELAY, headers and body written in
one send) so that the figures measure the hub, not the receiver. `/hang` reads the request and never
answers (the hub's timeout ends it); every other POST path gets 200 "ok" and is counted.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from eventhub.process_commands import beat_command, web_command, worker_command

REPO = Path(__file__).resolve().parents[1]
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


@dataclass
class Figure:
    """One row of the table: a measurement, its same-run baseline, and the floor it is held to."""

    scenario: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    floor: str = ""
    met: bool | None = None

    def as_dict(self) -> dict:
        return asdict(self)


# --- the receiver (its own process) -------------------------------------------------------------------


def serve_receiver() -> None:
    """POST /<path>: 200 "ok", records (webhook-id, receipt time, path); POST /hang: never answers.
    GET /count?<path>, GET /receipts, POST /reset control it."""
    receipts: list[tuple[str, float, str]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                path, _, query = target.partition("?")
                headers = {
                    k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if ": " in line)
                }
                length = int(headers.get("content-length", "0"))
                if length:
                    await reader.readexactly(length)
                if method == "POST" and path == "/hang":
                    await reader.read()  # until the hub gives up and closes
                    return
                if method == "POST" and path == "/reset":
                    receipts.clear()
                    writer.write(RESPONSE)
                elif method == "GET":
                    if path == "/count":
                        value = sum(1 for r in receipts if not query or r[2] == query)
                    else:
                        value = receipts
                    body = json.dumps(value).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                else:
                    receipts.append((headers.get("webhook-id", ""), time.time(), path))
                    writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class ReceiverProcess:
    def __init__(self):
        command = [sys.executable, "-m", "bench", "--serve-receiver"]
        self.process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.hang_url = f"http://127.0.0.1:{self.port}/hang"

    def _call(self, method: str, path: str):
        data = b"" if method == "POST" else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method, data=data)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null") if method == "GET" else None

    def count(self, path: str = "") -> int:
        return self._call("GET", f"/count?{path}" if path else "/count")

    def receipts(self) -> list:
        return self._call("GET", "/receipts")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# --- the hub's processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Hub:
    """The hub on a throwaway database (`test_<name>` of DATABASE_URL): workers and a web server as
    subprocesses, with the same settings `make run` uses unless a scenario says otherwise."""

    def __init__(self, log_dir: Path):
        from django.conf import settings
        from django.db import connection
        from django.test.utils import setup_databases

        self.log_dir = log_dir
        self.databases = setup_databases(verbosity=0, interactive=False)
        db = connection.settings_dict
        if connection.vendor == "sqlite":
            url = f"sqlite:///{db['NAME']}"
        else:
            password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
            url = f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "EVENTHUB_DB_CONN_MAX_AGE": "600",
            "EVENTHUB_VAR_DIR": str(log_dir),
            # Its own var/ would generate another secret key: signing secrets encrypted here must decrypt there.
            "EVENTHUB_SECRET_KEY": settings.SECRET_KEY,
        }
        self.workers: list[subprocess.Popen] = []
        self.web: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None

    def start_beat(self) -> None:
        """celery beat with the schedule `make run` registers (the sweeper every few seconds, retention,
        the scheduler), as its own process like run_hub starts it."""
        from django.core.management import call_command

        call_command("setup_beat", verbosity=0)
        log = open(self.log_dir / "bench-beat.log", "ab")  # noqa: SIM115
        command = beat_command(
            sys.executable, schedule=str(self.log_dir / "beat-schedule"), log_level="warning"
        )
        self.beat = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_workers(
        self, count: int, threads: int, pool: str = "threads", extra_env: dict | None = None
    ) -> list[int]:
        env = {**self.env, **(extra_env or {})}
        for _ in range(count):
            log = open(self.log_dir / f"bench-worker-{len(self.workers)}.log", "ab")  # noqa: SIM115 (closed with the process)
            command = worker_command(
                sys.executable,
                name=f"bench{len(self.workers)}-{os.getpid()}@%h",
                log_level=os.environ.get("EVENTHUB_BENCH_WORKER_LOG_LEVEL", "warning"),
                pool=pool,
                concurrency=threads,
                standalone=True,
            )
            command = _profiled(command, "worker", len(self.workers))
            self.workers.append(
                subprocess.Popen(
                    command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        time.sleep(
            3
        )  # -l warning prints no "ready" line; workers consume kicks as soon as they are up anyway
        return [w.pid for w in self.workers[-count:]]

    def stop_workers(self) -> None:
        for worker in self.workers:
            _stop_profiler(worker)
            _kill_group(worker)
        self.workers = []

    def start_web(self, extra_env: dict | None = None) -> str:
        """gunicorn with the config `make run` and the Procfile use, returning its base URL once it answers."""
        port = free_port()
        log = open(self.log_dir / "bench-web.log", "ab")  # noqa: SIM115
        command = web_command(sys.executable)
        command = _profiled(command, "web", port)
        self.web = subprocess.Popen(
            command,
            cwd=REPO,
            env={**self.env, "EVENTHUB_BIND": f"127.0.0.1:{port}", **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                return base
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the web server did not answer on {base}; see {self.log_dir}/bench-web.log")

    def stop_web(self) -> None:
        if self.web is not None:
            _stop_profiler(self.web)
            _kill_group(self.web)
            self.web = None

    def close(self) -> None:
        from django.db import connections
        from django.test.utils import teardown_databases

        self.stop_workers()
        self.stop_web()
        if self.beat is not None:
            _kill_group(self.beat)
        connections.close_all()
        teardown_databases(self.databases, verbosity=0)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)


# --- measuring -----------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its descendants (a prefork pool's children count too)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(
                int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")
            )
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def wait_for(check, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _profiled(command: list[str], kind: str, tag: object) -> list[str]:
    """With EVENTHUB_BENCH_PROFILE_DIR, the command under py-spy (the process and its children, collapsed
    stacks at 200 Hz, one file per start; EVENTHUB_BENCH_PROFILE_GIL=1: Python CPU only, not waits)."""
    profile = os.environ.get("EVENTHUB_BENCH_PROFILE_DIR")
    if not profile:
        return command
    out = Path(profile) / f"{kind}-{time.strftime('%H%M%S')}-{tag}.txt"
    gil = ["--gil"] if os.environ.get("EVENTHUB_BENCH_PROFILE_GIL") else []
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    return [
        py_spy,
        "record",
        "--subprocesses",
        "--format",
        "raw",
        "-r",
        "200",
        *gil,
        "-o",
        str(out),
        "--",
        *command,
    ]


def _stop_profiler(process: subprocess.Popen) -> None:
    """py-spy writes its profile when interrupted; give it the time to."""
    if os.environ.get("EVENTHUB_BENCH_PROFILE_DIR"):
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            pass
