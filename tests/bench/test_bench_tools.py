"""The two measuring tools beside the benchmark still run and still say what they claim: the in-process CPU
per publish (bench/publish_cpu.py) and the per-request summary of py-spy's collapsed stacks
(bench/profile_summary.py). No timing assertions: the figures' presence and arithmetic are what is checked."""

from __future__ import annotations

import re

import pytest

from bench import profile_summary, publish_cpu

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
