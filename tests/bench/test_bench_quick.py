"""The benchmark harness still runs: `python -m bench --quick` as a smoke test (no timing assertions)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bench.ingest import BATCH_RUNS
from tests.conftest import require_service

REPO = Path(__file__).resolve().parents[2]


def _reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.timeout(500)
def test_quick_benchmark_runs_every_scenario_and_writes_its_results():
    if not (_reachable(5432) and _reachable(6379)):
        require_service("PostgreSQL and Redis", "the benchmark measures the production path")
    before = set((REPO / "bench" / "results").glob("bench-*-quick.json"))
    env = {
        **os.environ,
        # Its own database and Redis db: never the test run's.
        "DATABASE_URL": os.environ.get(
            "EVENTHUB_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/eventhub_bench_smoke"
        ),
        "CELERY_BROKER_URL": os.environ.get("EVENTHUB_BENCH_BROKER_URL", "redis://127.0.0.1:6379/9"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert "floors met:" in result.stdout
    assert (
        "machine: a fixed Python loop took" in result.stdout
    )  # how fast the machine ran, beside the figures
    [written] = set((REPO / "bench" / "results").glob("bench-*-quick.json")) - before
    data = json.loads(written.read_text())
    written.unlink()
    assert data["failed"] == []
    assert data["machine"]["loop_ms_start"] > 0 and data["machine"]["loop_ms_end"] > 0
    # Every scenario produced its figures (values, not timings, are what this smoke test checks).
    assert {f["scenario"] for f in data["figures"]} == {
        "delivery",
        "latency",
        "sql",
        "ingest",
        "backlog",
        "fairness",
        "reads",
        "ingest-1",
        "e2e-1",
        "web-mem",
    }
    burst = data["details"]["delivery"]["burst"]
    assert burst["deliveries"] == burst["expected"] == 400 * 4
    assert data["details"]["delivery"]["attempts"] == burst["expected"]
    assert data["details"]["backlog"]["large"]["received"] == 2000
    assert data["details"]["ingest"]["messages"] == 5 * (20 + 100 + 500 * BATCH_RUNS)
    # The front door (bench/front_door.py): every single publish wrote its 5 messages, every delivery
    # arrived, the baselines ran, and the memory run reached its count.
    single = data["details"]["ingest-single"]
    assert set(single) == {"P8", "P32"}
    for run in single.values():
        assert run["hub"]["events"] == run["baseline"]["events"] == 150
        assert run["messages"] == run["expected_messages"] == 5 * (40 + 150)
    e2e = data["details"]["e2e-single"]
    for run in e2e.values():
        assert run["received"] == run["expected"] == 2 * 150
        assert run["paced_received"] == run["paced_expected"]
        assert run["baseline"]["deliveries"] == run["expected"]
    assert data["details"]["web-memory"]["large"] == 400
