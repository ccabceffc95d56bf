"""Run web (gunicorn, the production server) + a Celery worker + celery beat until Ctrl-C: what
`make run` starts, with the command lines of the Procfile. `--dev` swaps gunicorn for Django's
autoreloading development server (`make dev`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from eventhub.process_commands import beat_command, web_command, worker_command


class Command(BaseCommand):
    help = "Start gunicorn, a Celery worker and celery beat; stop all three on Ctrl-C or when one exits."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port for the web server.")
        parser.add_argument(
            "--dev", action="store_true", help="Django's runserver with autoreload instead of gunicorn."
        )
        parser.add_argument(
            "--log-level",
            default=os.environ.get("EVENTHUB_WORKER_LOG_LEVEL", "warning"),
            help="Worker and beat log level (info shows every task, including the 5-second sweeps).",
        )
        parser.add_argument(
            "--concurrency", type=int, default=int(os.environ.get("EVENTHUB_WORKER_CONCURRENCY", "8"))
        )

    def handle(self, *args, **options):
        python = sys.executable
        metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.VAR_DIR / "metrics")
        shutil.rmtree(metrics_dir, ignore_errors=True)  # counters start from zero with the processes
        metrics_dir.mkdir(parents=True)
        env = {
            **os.environ,
            "EVENTHUB_BIND": options["addr"],
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "EVENTHUB_METRICS_ALLOW": os.environ.get("EVENTHUB_METRICS_ALLOW", "127.0.0.1,::1"),
        }
        commands = {
            "web": web_command(python, dev=options["dev"], addr=options["addr"]),
            "worker": worker_command(
                python, concurrency=options["concurrency"], log_level=options["log_level"]
            ),
            "beat": beat_command(
                python, schedule=str(settings.VAR_DIR / "celerybeat-schedule"), log_level=options["log_level"]
            ),
        }
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        server = (
            "Django's development server (autoreload; not for production)"
            if options["dev"]
            else (
                f"gunicorn ({os.environ.get('EVENTHUB_WEB_WORKERS', '2')} workers x "
                f"{os.environ.get('EVENTHUB_WEB_THREADS', '8')} threads)"
            )
        )
        self.stdout.write(
            f"EventHub on http://{options['addr']} served by {server}; worker and beat running."
        )
        if settings.EVENTHUB_SSRF_ALLOW or settings.EVENTHUB_ALLOW_HTTP_HOSTS:
            self.stdout.write(
                "LOCAL TRIALS: deliveries to loopback and plain http are allowed "
                f"({','.join(dict.fromkeys(settings.EVENTHUB_SSRF_ALLOW + settings.EVENTHUB_ALLOW_HTTP_HOSTS))}); "
                "EVENTHUB_ENV=production refuses them."
            )
        self.stdout.write(
            f"Started {', '.join(f'{n} (pid {p.pid})' for n, p in processes.items())}. Ctrl-C stops all."
        )
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
