"""The measuring tools beside the benchmark still run and still say what they claim: the in-process CPU
per publish (bench/publish_cpu.py), the per-request summary of py-spy's collapsed stacks
(bench/profile_summary.py), the CPU split by process kind and the machine's speed reading
(bench/machine.py). No timing assertions: the figures' presence and arithmetic are what is checked."""

from __future__ import annotations

import os
import re

import pytest

from bench import cpu_split, machine, profile_summary, publish_cpu

pytestmark = pytest.mark.django_db


def test_publish_cpu_publishes_and_prints_the_cpu_per_request_and_a_profile(capsys):
    publish_cpu.main(["--requests", "5", "--rounds", "2", "--profile", "40"])
    out = capsys.readouterr().out
    match = re.search(r"CPU ms per publish: median ([\d.]+) \(rounds ([\d.]+), ([\d.]+)\)", out)
    assert match, out[:2000]
    assert float(match.group(1)) > 0
    assert "publish_batch" in out  # the profile covers the publish path, not just the test client


def test_profile_summary_counts_each_frame_once_per_stack_and_divides_by_requests(tmp_path):
    handler = "WSGIHandler.__call__ (django/core/handlers/wsgi.py:124)"
    dispatch = "APIView.dispatch (rest_framework/views.py:500)"
    stacks = tmp_path / "web.txt"
    stacks.write_text(
        "\n".join(
            [
                f"process 1;thread 2;{handler};{dispatch};publish_batch (eventhub/services/ingest.py:80) 30",
                # A recursive frame is counted once for the stack, not twice.
                f"process 1;thread 2;{handler};{dispatch};{dispatch} 10",
                f"process 1;thread 2;{handler};close_if_health_check_failed (django/db/x.py:1) 10",
                "process 1;thread 3;idle_loop (gunicorn/arbiter.py:9) 50",  # not a request: left out
            ]
        )
        + "\n"
    )
    rows = dict(profile_summary.summary(stacks, requests=10))
    ms = profile_summary.SAMPLE_MS / 10
    assert rows["WSGIHandler.__call__"] == pytest.approx(50 * ms)
    assert rows["APIView.dispatch"] == pytest.approx(40 * ms)
    assert rows["publish_batch"] == pytest.approx(30 * ms)
    assert rows["middleware and handler outside the view"] == pytest.approx(10 * ms)


def test_cpu_split_names_process_kinds_and_counts_new_processes_from_zero():
    assert [
        cpu_split.kind_of(c)
        for c in ("postgres: bench", "python -m gunicorn -c x", "celery -A eventhub worker")
    ] == [
        "pg",
        "web",
        "worker",
    ]
    before = {1: ("web", 10.0)}
    after = {1: ("web", 10.5), 2: ("pg", 0.25)}
    assert cpu_split.split(before, after) == {"web": 0.5, "pg": 0.25}
    assert os.getpid() in cpu_split.cpu_seconds_by_process()  # this process, read from /proc
    assert all(seconds >= 0 for _, seconds in cpu_split.cpu_seconds_by_process().values())


def test_machine_reading_takes_steal_from_the_aggregate_cpu_line_and_times_a_loop():
    stat = "cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 50 0 25 400 5 0 2 18 0 0\nintr 1 2 3\n"
    assert machine.steal_and_total(stat) == (35, 1000)  # user..steal; guest time is already in user
    assert machine.steal_and_total("intr 1 2\n") is None
    assert machine.steal_percent((35, 1000), (85, 2000)) == pytest.approx(5.0)
    assert machine.steal_percent(None, (85, 2000)) is None
    assert machine.loop_ms(rounds=1, size=1000) > 0
    reading = machine.MachineReading.start()
    reading.finish()
    assert reading.loop_ms_end > 0 and reading.steal_percent is not None  # Linux: read from /proc/stat
    assert "CPU stolen by the hypervisor during the run" in reading.summary()
