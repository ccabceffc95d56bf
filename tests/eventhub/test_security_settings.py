"""Deployment hardening and per-key rate limiting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("EVENTHUB_SSRF_ALLOW", "EVENTHUB_ALLOW_HTTP_HOSTS")
        },
        "EVENTHUB_ENV": "production",
        "EVENTHUB_SECRET_KEY": "x" * 64 + "-production-secret-for-the-check",
        "EVENTHUB_ENCRYPTION_KEYS": "q5ZfX1bz8wXGm2pA0Uq3c0T7pJmLw0m5P8m3o6F0h2E=",
        "EVENTHUB_API_KEY_PEPPER": "p" * 48,
        "EVENTHUB_ALLOWED_HOSTS": "hub.example.com",
        "EVENTHUB_DEBUG": "false",
        "EVENTHUB_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("EVENTHUB_SSRF_ALLOW", "EVENTHUB_ALLOW_HTTP_HOSTS")
        },
        "EVENTHUB_ENV": "production",
        "EVENTHUB_SECRET_KEY": "",
        "EVENTHUB_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "EVENTHUB_SECRET_KEY" in result.stderr


def test_rate_limit_is_per_key_with_retry_after(acme, globex, event_types, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "3/min"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        client = acme.client()
        codes = [client.get("/v1/events").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/v1/events")
        assert int(limited["Retry-After"]) >= 1 and "Rate limit" in limited.json()["message"]
        assert globex.client().get("/v1/events").status_code == 200
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
        cache.clear()
