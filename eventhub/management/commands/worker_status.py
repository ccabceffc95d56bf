"""`manage.py worker_status`: the worker liveness check operators (and monitors) call.

Pings every Celery worker over the broker and prints each one that answers, with the delivery
figures from the database (due backlog, oldest due age, last attempt's age). Exit status 1 when no
worker answers or the oldest due message has waited longer than --max-due-age: deliveries are stuck.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from eventhub import ops
from eventhub.celery import app


class Command(BaseCommand):
    help = "Ping the Celery workers and report the delivery backlog; exit 1 when deliveries are stuck."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=2.0, help="Seconds to wait for workers' replies."
        )
        parser.add_argument(
            "--max-due-age", type=float, default=120.0, help="Oldest due age (s) still healthy."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        try:
            replies = app.control.ping(timeout=options["timeout"]) or []
        except Exception as exc:  # broker unreachable: report it as such
            raise CommandError(f"could not reach the broker: {exc}") from exc
        workers = sorted(name for reply in replies for name in reply)
        figures = ops.figures()
        oldest = figures.get("oldest_due_age_seconds") or 0.0
        problems = []
        if not workers:
            problems.append("no worker answered")
        if oldest > options["max_due_age"]:
            problems.append(f"oldest due message waited {oldest:.0f} s (> {options['max_due_age']:.0f} s)")
        if options["json"]:
            self.stdout.write(
                json.dumps({"workers": workers, **figures, "ok": not problems, "problems": problems})
            )
        else:
            for name in workers:
                self.stdout.write(f"worker {name}: answered")
            for name, value in figures.items():
                self.stdout.write(f"{name}: {value}")
            self.stdout.write("ok" if not problems else "NOT OK: " + "; ".join(problems))
        if problems:
            raise SystemExit(1)
