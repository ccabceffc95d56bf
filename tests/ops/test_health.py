"""Liveness and readiness: cheap, and error detail (hosts, ports, driver messages) only for staff."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from eventhub.celery import app

pytestmark = pytest.mark.django_db

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broken_broker():
    """The broker URL points at a closed port for the duration of the test."""
    previous = app.conf.broker_write_url
    app.conf.broker_write_url = UNREACHABLE_BROKER
    yield
    app.conf.broker_write_url = previous


def test_health_pages_hide_broker_error_text_from_anonymous_callers(broken_broker):
    for path in ("/healthz", "/readyz"):
        response = APIClient().get(path)
        body = response.content.decode()
        assert "127.0.0.1:1" not in body and "refused" not in body.lower(), (path, body)


def test_readyz_reports_a_broker_outage_as_503_and_staff_see_the_error(broken_broker, staff_client):
    anonymous = APIClient().get("/readyz")
    assert anonymous.status_code == 503
    assert anonymous.json()["broker"] == {"ok": False}
    staff = staff_client.get("/readyz")
    assert staff.status_code == 503
    assert staff.json()["broker"]["ok"] is False and staff.json()["broker"]["error"]


def test_healthz_is_liveness_and_answers_while_the_broker_is_down(broken_broker):
    response = APIClient().get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_readyz_checks_database_migrations_and_broker(staff_client):
    response = APIClient().get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["migrations"]["ok"] and body["broker"]["ok"]
    assert "deliveries" not in body
    figures = staff_client.get("/readyz").json()["deliveries"]
    assert figures["oldest_due_age_seconds"] == 0 and figures["due_backlog"] == 0


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_route_is_json_404_with_and_without_debug(settings, debug):
    settings.DEBUG = debug
    response = APIClient().get("/no/such/route")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "No route" in response.json()["message"]
