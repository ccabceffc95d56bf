"""`make run`'s process manager on a fresh var/ (SQLite + filesystem broker, as on a clean clone): the
production server answers, the banner says which, unknown routes are JSON 404, admin static files are served."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_run_hub_serves_through_gunicorn_with_json_404_on_a_fresh_var_dir(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "EVENTHUB_CACHE_URL",
            "DJANGO_SETTINGS_MODULE",
            "EVENTHUB_SECRET_KEY",
        )
    }
    env.update(
        EVENTHUB_VAR_DIR=str(tmp_path), EVENTHUB_SSRF_ALLOW="127.0.0.1", EVENTHUB_ALLOW_HTTP_HOSTS="127.0.0.1"
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True, timeout=180)
    subprocess.run(
        [*manage, "collectstatic", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True, timeout=120
    )
    port = _free_port()
    log = tmp_path / "run_hub.log"
    with open(log, "wb") as out:
        hub = subprocess.Popen(
            [*manage, "run_hub", "--addr", f"127.0.0.1:{port}"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, _ = _get(f"{base}/healthz")
                break
            except OSError:
                assert hub.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert status == 200 and headers["Server"].startswith("gunicorn")
        banner = log.read_text()
        assert "served by gunicorn" in banner
        assert sum("LOCAL TRIALS" in line for line in banner.splitlines()) == 1
        status, headers, body = _get(f"{base}/no/such/route")
        assert status == 404 and headers["Content-Type"] == "application/json", body
        assert "No route" in json.loads(body)["message"]
        status, _, _ = _get(f"{base}/static/admin/css/base.css")
        assert status == 200
        secret = tmp_path / "secret_key"
        assert secret.exists() and secret.stat().st_mode & 0o777 == 0o600
    finally:
        os.killpg(hub.pid, signal.SIGTERM)
        try:
            hub.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(hub.pid, signal.SIGKILL)
            hub.wait(10)
