"""The Procfile (what a process manager runs in production) starts the same web, worker and beat processes as
`make run`, the benchmark and the end-to-end tests, which take their command lines from
eventhub/process_commands.py: a queue or server option changed in one place and not the other fails here."""

from __future__ import annotations

import shlex
from pathlib import Path

from eventhub.process_commands import beat_command, web_command, worker_command

REPO = Path(__file__).resolve().parents[2]


def _procfile() -> dict[str, list[str]]:
    lines = (REPO / "Procfile").read_text().splitlines()
    return {
        name.strip(): shlex.split(command)
        for name, _, command in (line.partition(":") for line in lines if line.strip())
    }


def _as_procfile(command: list[str]) -> list[str]:
    """`python -m celery ...` is the Procfile's `celery ...` (likewise gunicorn)."""
    assert command[1] == "-m", command
    return command[2:]


def test_the_procfile_worker_is_the_worker_every_other_starter_runs():
    assert _procfile()["worker"] == _as_procfile(worker_command("python", name="worker@$HOSTNAME"))


def test_the_procfile_web_server_is_gunicorn_with_the_shared_configuration():
    assert _procfile()["web"] == _as_procfile(web_command("python"))


def test_the_procfile_beat_is_the_beat_make_run_starts():
    assert _procfile()["beat"] == _as_procfile(beat_command("python", schedule="var/celerybeat-schedule"))


def test_standalone_workers_differ_only_by_flags_that_skip_cluster_chatter():
    lone = worker_command("python", name="x@%h", standalone=True)
    assert lone[: len(worker_command("python", name="x@%h"))] == worker_command("python", name="x@%h")
    assert "--without-mingle" in lone and "-Q" in lone
