"""Run web + Celery worker + celery beat together until Ctrl-C (the `make run` process manager)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

WORKER_QUEUES = "default,deliveries,retries"


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and celery beat; stop all three on Ctrl-C or when one exits."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port for the web server.")
        parser.add_argument(
            "--log-level", default=os.environ.get("EVENTHUB_WORKER_LOG_LEVEL", "warning"),
            help="Worker and beat log level (info shows every task, including the 5-second sweeps).",
        )
        parser.add_argument("--concurrency", type=int, default=int(os.environ.get("EVENTHUB_WORKER_CONCURRENCY", "8")))

    def handle(self, *args, **options):
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "run_web", options["addr"], "--noreload"],
            "worker": [
                python, "-m", "celery", "-A", "eventhub", "worker", "-Q", WORKER_QUEUES, "--pool", "threads",
                "-c", str(options["concurrency"]), "-l", options["log_level"], "-n", "worker@%h",
            ],
            "beat": [python, "-m", "celery", "-A", "eventhub", "beat", "-l", options["log_level"], "--schedule", "var/celerybeat-schedule"],
        }
        processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write(f"Started {', '.join(f'{n} (pid {p.pid})' for n, p in processes.items())}. Ctrl-C stops all.")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                exited = [n for n, p in processes.items() if p.poll() is not None]
                if exited:
                    self.stderr.write(f"{', '.join(exited)} exited; stopping the others.")
                    break
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        self.stdout.write("EventHub stopped.")
