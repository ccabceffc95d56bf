"""The benchmark harness still runs: `python -m bench --quick` as a smoke test (no timing assertions)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_service

REPO = Path(__file__).resolve().parents[2]


def _reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.timeout(300)
def test_quick_delivery_benchmark_runs_and_writes_its_results():
    if not (_reachable(5432) and _reachable(6379)):
        require_service("PostgreSQL and Redis", "the benchmark measures the production path")
    before = set((REPO / "bench" / "results").glob("delivery-*.json"))
    env = {
        **os.environ,
        # Its own database and Redis db: never the test run's.
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/eventhub_bench_smoke",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--events", "100", "--paced-events", "40"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=280,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "hub / baseline" in result.stdout
    [written] = set((REPO / "bench" / "results").glob("delivery-*.json")) - before
    data = json.loads(written.read_text())
    assert data["hub"]["deliveries"] == data["hub"]["expected"] == 400
    written.unlink()
