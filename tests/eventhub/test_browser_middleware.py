"""Browser middleware (sessions, Django auth, messages) runs for the admin and the portal, and not at all on
the key-authenticated APIs, where a session is never a credential; CSRF still guards the admin's forms."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
EVENT = {"event_type": "card.created", "payload": {"card_token": "c1"}}


def test_a_keyed_publish_runs_without_session_messages_or_django_auth(acme, event_types):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/v1/events", EVENT, content_type="application/json", HTTP_AUTHORIZATION=acme.key)
    assert response.status_code == 201, response.content
    request = response.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "_messages")
    assert "CSRF_COOKIE" not in request.META and not response.cookies
    assert response["X-Frame-Options"] == "DENY"  # the headers every response gets are still set


def test_a_staff_session_is_no_api_credential(admin_client, event_types):
    response = admin_client.post("/v1/events", EVENT, content_type="application/json")
    assert response.status_code == 401, response.content
    assert admin_client.get("/organizations/org_1/events").status_code in (401, 403)


def test_the_admin_still_has_sessions_and_csrf(admin_user):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/admin/login/")
    assert page.status_code == 200 and "csrftoken" in page.cookies
    refused = browser.post("/admin/login/", {"username": admin_user.username, "password": "password"})
    assert refused.status_code == 403  # no CSRF token
    token = page.cookies["csrftoken"].value
    browser.post(
        "/admin/login/",
        {"username": admin_user.username, "password": "password", "csrfmiddlewaretoken": token},
    )
    assert browser.get("/admin/").status_code == 200  # logged in: a session
