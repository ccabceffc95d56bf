"""Admin login lockout (django-axes, counted in the database so every web process sees the same
failures): after EVENTHUB_ADMIN_LOGIN_FAILURE_LIMIT wrong passwords even the right one is refused,
until the cool-off has passed or a staff member resets the lockout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.db.models import F

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def ops(django_user_model):
    return django_user_model.objects.create_user("ops", password=PASSWORD, is_staff=True)


def _log_in(client, password: str):
    client.logout()
    return client.post(
        LOGIN, {"username": "ops", "password": password, "next": "/admin/"}, REMOTE_ADDR="10.0.0.7"
    )


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def locked_out(client, ops, settings):
    settings.AXES_FAILURE_LIMIT = 3
    assert [_log_in(client, "wrong").status_code for _ in range(3)] == [200, 200, 429]  # the third locks out
    response = _log_in(client, PASSWORD)
    assert response.status_code == 429 and not _logged_in(client)
    return response


@pytest.mark.django_db
def test_the_right_password_is_refused_after_repeated_failures(client, locked_out):
    assert b"too many login attempts" in locked_out.content
    assert AccessAttempt.objects.get(username="ops").failures_since_start >= 3


@pytest.mark.django_db
def test_login_works_again_after_the_cool_off(client, locked_out, settings):
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    response = _log_in(client, PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


@pytest.mark.django_db
def test_login_works_again_after_a_reset(client, locked_out):
    call_command("axes_reset_username", "ops", stdout=open("/dev/null", "w"))  # noqa: SIM115
    response = _log_in(client, PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


@pytest.mark.django_db
def test_failures_below_the_limit_are_forgotten_after_a_successful_login(client, ops, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        _log_in(client, "wrong")
    assert _log_in(client, PASSWORD).status_code == 302
    for _ in range(2):
        _log_in(client, "wrong")
    assert _log_in(client, PASSWORD).status_code == 302 and _logged_in(client)


@pytest.mark.django_db
def test_lockout_is_per_username_and_address(client, ops, django_user_model, locked_out):
    django_user_model.objects.create_user("other", password=PASSWORD, is_staff=True)
    response = client.post(
        LOGIN, {"username": "other", "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR="10.0.0.7"
    )
    assert response.status_code == 302
    client.logout()
    response = client.post(
        LOGIN, {"username": "ops", "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR="10.0.0.8"
    )
    assert response.status_code == 302


def test_lockout_is_configured_from_eventhub_settings(settings):
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
