"""Start the hub's processes from the Procfile's command lines, each "host" with its own HOSTNAME and
working directory (PYTHONPATH points at this checkout, as an installed package would be found)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROGRAMS = {"gunicorn": [sys.executable, "-m", "gunicorn"], "celery": [sys.executable, "-m", "celery"]}


def procfile() -> dict[str, str]:
    lines = (REPO / "Procfile").read_text().splitlines()
    return {
        name.strip(): command.strip()
        for name, _, command in (line.partition(":") for line in lines if line.strip())
    }


def command_line(kind: str, env: dict[str, str]) -> list[str]:
    """The Procfile's line for `kind`, variables expanded as the process manager's shell would."""
    words = [word.replace("$HOSTNAME", env["HOSTNAME"]) for word in shlex.split(procfile()[kind])]
    return PROGRAMS[words[0]] + words[1:]


@dataclass
class HubProcess:
    kind: str
    host: str
    process: subprocess.Popen
    log: Path
    port: int | None = None

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    processes: list[HubProcess] = field(default_factory=list)

    def start(self, kind: str, host: str, port: int | None = None) -> HubProcess:
        home = self.root / host
        (home / "var").mkdir(parents=True, exist_ok=True)
        env = {**self.env, "HOSTNAME": host, "EVENTHUB_VAR_DIR": str(home / "var"), "PYTHONPATH": str(REPO)}
        if port is not None:
            env["EVENTHUB_BIND"] = f"127.0.0.1:{port}"
        log = home / f"{kind}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command_line(kind, env),
                cwd=home,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(HubProcess(kind, host, process, log, port))
        return self.processes[-1]

    def wait_web(self, web: HubProcess, timeout: float = 60.0) -> str:
        base = f"http://127.0.0.1:{web.port}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                return base
            except (OSError, urllib.error.URLError):
                if web.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"web on {base} did not answer:\n{web.tail()}") from None
                time.sleep(0.2)

    def wait_worker(self, worker: HubProcess, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while b" ready." not in worker.log.read_bytes():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker on {worker.host} did not start:\n{worker.tail()}")
            time.sleep(0.2)

    def stop_all(self) -> None:
        for process in self.processes:
            process.kill()
