"""POST /v1/portal_sessions and the single-use link: who may mint, what the link does once, and the
clear pages for expired, reused and tampered links."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.utils import timezone

from eventhub.models import AuditLogEntry
from eventhub.services.accounts import revoke_api_key
from portal.models import PortalLink
from tests.portal.conftest import mint, open_portal

pytestmark = pytest.mark.django_db


def _expires(body: dict) -> datetime:
    return datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))


def test_account_key_mints_a_link_valid_for_an_hour_by_default(acme):
    body = mint(acme)
    assert urlparse(body["url"]).path.startswith("/portal/start/")
    assert abs((_expires(body) - timezone.now()) - timedelta(hours=1)) < timedelta(seconds=30)
    assert AuditLogEntry.objects.filter(
        action="portal.link_created", actor_key=acme.api_key, account=acme.account
    ).exists()


def test_link_lifetime_is_configurable(acme, settings):
    settings.EVENTHUB_PORTAL_LINK_SECONDS = 600
    assert _expires(mint(acme)) - timezone.now() < timedelta(seconds=601)
    assert _expires(mint(acme, expires_in=120)) - timezone.now() < timedelta(seconds=121)


def test_link_opens_once_and_the_session_cookie_carries_on(acme):
    path = urlparse(mint(acme)["url"]).path
    browser = Client()
    first = browser.get(path)
    assert first.status_code == 302 and first["Location"].endswith("/portal/endpoints")
    assert browser.get("/portal/endpoints").status_code == 200
    assert browser.get("/portal/messages").status_code == 200

    again = Client().get(path)
    assert again.status_code == 410
    assert b"already used" in again.content and b"Traceback" not in again.content


def test_expired_link_shows_a_clear_page(acme):
    path = urlparse(mint(acme)["url"]).path
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(path)
    assert response.status_code == 410
    assert b"This link has expired" in response.content


def test_tampered_link_shows_a_clear_page(acme):
    path = urlparse(mint(acme)["url"]).path
    for bad in (
        path[:-2] + ("AA" if not path.endswith("AA") else "BB"),
        "/portal/start/nonsense",
        path + "x",
    ):
        response = Client().get(bad)
        assert response.status_code == 403
        assert b"This link is not valid" in response.content and b"Traceback" not in response.content
    assert Client().get(path).status_code == 302  # the genuine link was not used up by the attempts


def test_staff_key_mints_for_a_named_account_only(staff_client, acme):
    refused = staff_client.post("/v1/portal_sessions", {}, format="json")
    assert refused.status_code == 400
    response = staff_client.post("/v1/portal_sessions", {"account_token": acme.token}, format="json")
    assert response.status_code == 201
    browser = Client()
    assert browser.get(urlparse(response.json()["url"]).path).status_code == 302
    page = browser.get("/portal/endpoints")
    assert page.status_code == 200 and b"Acme" in page.content


def test_account_key_cannot_mint_for_another_account(acme, globex):
    response = acme.client().post("/v1/portal_sessions", {"account_token": globex.token}, format="json")
    assert response.status_code == 404


def test_scope_names_must_exist(acme, event_types):
    response = acme.client().post(
        "/v1/portal_sessions", {"event_types": ["card.created", "no.such"]}, format="json"
    )
    assert response.status_code == 400
    assert (
        acme.client().post("/v1/portal_sessions", {"categories": ["nope"]}, format="json").status_code == 400
    )
    assert acme.client().post("/v1/portal_sessions", {"read_only": "yes"}, format="json").status_code == 400


def test_revoking_the_minting_key_ends_the_session(acme):
    browser = open_portal(acme)
    assert browser.get("/portal/endpoints").status_code == 200
    revoke_api_key(acme.api_key)
    response = browser.get("/portal/endpoints")
    assert response.status_code == 403 and b"session has ended" in response.content


def test_session_ends_after_its_lifetime(acme, settings):
    settings.EVENTHUB_PORTAL_SESSION_SECONDS = -1
    browser = open_portal(acme)
    assert browser.get("/portal/endpoints").status_code == 403


def test_without_a_session_every_page_is_refused(db):
    response = Client().get("/portal/endpoints")
    assert response.status_code == 403 and b"session has ended" in response.content


def test_sign_out_ends_the_session(acme):
    browser = open_portal(acme)
    assert browser.post("/portal/end").status_code == 200
    assert browser.get("/portal/endpoints").status_code == 403
