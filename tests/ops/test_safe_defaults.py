"""Safe defaults: no public secret, DEBUG only when asked for, loopback deliveries refused in production
and flagged by `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys

from eventhub.deploy_checks import allow_lists_are_public, loopback_entries, private_entries
from eventhub.local_secret import load_or_create
from tests.e2e.conftest import REPO


def settings_in_subprocess(tmp_path, code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("EVENTHUB_") and k != "DJANGO_SETTINGS_MODULE"
    }
    clean.update(DJANGO_SETTINGS_MODULE="eventhub.settings", EVENTHUB_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_secret_key_one_is_generated_once_under_var_with_mode_0600(tmp_path):
    first = settings_in_subprocess(tmp_path, "print(settings.SECRET_KEY, settings.DEBUG)")
    second = settings_in_subprocess(tmp_path, "print(settings.SECRET_KEY, settings.DEBUG)")
    assert first.returncode == 0, first.stderr
    key, debug = first.stdout.split()
    assert second.stdout == first.stdout and debug == "False"
    assert "dev-insecure" not in key and len(key) >= 50
    assert (tmp_path / "secret_key").read_text() == key and (
        tmp_path / "secret_key"
    ).stat().st_mode & 0o777 == 0o600
    assert (
        settings_in_subprocess(tmp_path, "print(settings.DEBUG)", EVENTHUB_DEBUG="1").stdout.strip() == "True"
    )


def test_load_or_create_keeps_the_first_key(tmp_path):
    path = tmp_path / "secret_key"
    assert load_or_create(path) == load_or_create(path) == path.read_text()


PRODUCTION = {
    "EVENTHUB_ENV": "production",
    "EVENTHUB_SECRET_KEY": "x" * 50,
    "EVENTHUB_ENCRYPTION_KEYS": "q5ZfX1bz8wXGm2pA0Uq3c0T7pJmLw0m5P8m3o6F0h2E=",
    "EVENTHUB_API_KEY_PEPPER": "p" * 48,
}


def test_production_refuses_to_start_with_loopback_in_an_allow_list(tmp_path):
    refused = settings_in_subprocess(
        tmp_path, "print(settings.DEBUG)", **PRODUCTION, EVENTHUB_SSRF_ALLOW="127.0.0.1,10.0.0.0/8"
    )
    assert refused.returncode != 0 and "refuses deliveries to loopback (127.0.0.1" in refused.stderr
    started = settings_in_subprocess(tmp_path, "print(settings.DEBUG)", **PRODUCTION)
    assert started.returncode == 0, started.stderr


def test_check_deploy_warns_when_allow_lists_open_loopback_or_private_ranges(settings):
    assert loopback_entries(["localhost", "::1", "127.0.0.0/8", "example.com", "10.1.2.3"]) == [
        "localhost",
        "::1",
        "127.0.0.0/8",
    ]
    assert private_entries(["10.0.0.0/8", "192.168.1.5", "8.8.8.8", "hooks.example.com"]) == [
        "10.0.0.0/8",
        "192.168.1.5",
    ]
    settings.EVENTHUB_SSRF_ALLOW = ["10.0.0.0/8", "hooks.example.com"]
    settings.EVENTHUB_ALLOW_HTTP_HOSTS = []
    [warning] = allow_lists_are_public(None)
    assert warning.id == "eventhub.W010" and "10.0.0.0/8" in warning.msg
    settings.EVENTHUB_SSRF_ALLOW = ["hooks.example.com"]
    assert allow_lists_are_public(None) == []
