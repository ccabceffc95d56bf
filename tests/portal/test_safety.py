"""Read-only enforced on the server, CSRF on every write, the CSP and frame-ancestors headers, the API's
SSRF policy, scoping, and portal writes in the audit log marked as portal actions."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from deliveries.models import Message, RecoveryJob
from eventhub.models import AuditLogEntry
from portal import urls as portal_urls
from subscriptions.models import EventSubscription
from subscriptions.services import create_subscription, current_secret
from tests.portal.conftest import add_deliveries, open_portal

pytestmark = pytest.mark.django_db

WRITE_ROUTES = {
    "endpoint-create",
    "endpoint-edit",
    "endpoint-state",
    "endpoint-delete",
    "endpoint-secret",
    "endpoint-rotate",
    "endpoint-example",
    "endpoint-recover",
    "endpoint-replay",
    "message-resend",
}


def _write_urls(subscription, message) -> list[tuple[str, str]]:
    urls = []
    for pattern in portal_urls.urlpatterns:
        if not isinstance(pattern, URLPattern) or pattern.name not in WRITE_ROUTES:
            continue
        kwargs = {}
        if "token" in pattern.pattern.converters:
            kwargs["token"] = message.token if pattern.name.startswith("message") else subscription.token
        urls.append((pattern.name, reverse(f"portal:{pattern.name}", kwargs=kwargs)))
    assert {name for name, _ in urls} == WRITE_ROUTES
    return urls


FORM = {
    "url": "https://hooks.acme.example/changed",
    "disabled": "1",
    "event_type": "card.created",
    "since": "",
}


def test_read_only_session_is_refused_every_write(acme, event_types):
    subscription = create_subscription(acme.account, url="https://hooks.acme.example/a")
    message = add_deliveries(subscription, 1, failed_every=1)[0]
    before = EventSubscription.objects.filter(pk=subscription.pk).values().get()
    browser = open_portal(acme, read_only=True)
    page = browser.get(reverse("portal:endpoint", args=[subscription.token]))
    assert page.status_code == 200 and b"Read-only" in page.content and b'id="pt-rotate"' not in page.content
    for name, url in _write_urls(subscription, message):
        response = browser.post(url, FORM)
        assert response.status_code == 403, name
        assert b"Read-only access" in response.content, name
    assert EventSubscription.objects.filter(pk=subscription.pk).values().get() == before
    assert EventSubscription.objects.filter(account=acme.account).count() == 1
    assert not RecoveryJob.objects.exists()
    assert Message.objects.count() == 1
    assert not AuditLogEntry.objects.filter(details__via="portal").exists()
    # Signing out is not a write to the account: it works read-only too.
    assert browser.post(reverse("portal:end")).status_code == 200
    assert browser.get(reverse("portal:endpoints")).status_code == 403


def test_every_write_needs_the_csrf_token(acme, event_types):
    subscription = create_subscription(acme.account, url="https://hooks.acme.example/a")
    message = add_deliveries(subscription, 1, failed_every=1)[0]
    browser = open_portal(acme, client=Client(enforce_csrf_checks=True))
    for name, url in _write_urls(subscription, message):
        assert browser.post(url, FORM).status_code == 403, name
    assert EventSubscription.objects.get(pk=subscription.pk).url == "https://hooks.acme.example/a"
    # With the token from the page, the same write goes through.
    page = browser.get(reverse("portal:endpoint", args=[subscription.token]))
    token = page.context["csrf_token"]
    response = browser.post(
        reverse("portal:endpoint-state", args=[subscription.token]),
        {"disabled": "1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert EventSubscription.objects.get(pk=subscription.pk).disabled


def test_pages_allow_only_own_assets_and_no_framing_by_default(acme):
    response = open_portal(acme).get("/portal/endpoints")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"


def test_frame_ancestors_come_from_the_setting(acme, settings):
    settings.EVENTHUB_PORTAL_FRAME_ANCESTORS = ["https://app.example.com", "https://*.example.org"]
    response = open_portal(acme).get("/portal/endpoints")
    assert (
        "frame-ancestors https://app.example.com https://*.example.org" in response["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response


def test_refused_link_pages_carry_the_same_headers(db):
    response = Client().get("/portal/start/bogus")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "url", ["http://10.0.0.7/hook", "https://169.254.169.254/latest", "ftp://example.com/x"]
)
def test_endpoint_urls_follow_the_apis_ssrf_policy(acme, settings, url):
    settings.EVENTHUB_SSRF_ALLOW = []
    settings.EVENTHUB_ALLOW_HTTP_HOSTS = []
    api = acme.client().post("/v1/event_subscriptions", {"url": url}, format="json")
    assert api.status_code == 400
    response = open_portal(acme).post(reverse("portal:endpoint-create"), {"url": url})
    assert response.status_code == 200 and b"pt-errors" in response.content
    assert not EventSubscription.objects.exists()


def test_portal_writes_are_audited_as_portal_actions_of_the_minting_key(acme, event_types):
    browser = open_portal(acme)
    response = browser.post(
        reverse("portal:endpoint-create"),
        {
            "url": "https://hooks.acme.example/new",
            "description": "from the portal",
            "event_types": ["card.created"],
        },
    )
    subscription = EventSubscription.objects.get(account=acme.account)
    assert response.status_code == 302 and response["Location"].endswith(subscription.token)
    assert subscription.event_types == ["card.created"] and subscription.description == "from the portal"
    browser.post(reverse("portal:endpoint-rotate", args=[subscription.token]))
    revealed = browser.post(reverse("portal:endpoint-secret", args=[subscription.token]))
    subscription.refresh_from_db()
    assert current_secret(subscription).encode() in revealed.content
    entries = AuditLogEntry.objects.filter(account=acme.account, details__via="portal").order_by("id")
    assert [e.action for e in entries] == [
        "subscription.created",
        "subscription.secret_rotated",
        "subscription.secret_revealed",
    ]
    assert all(e.actor_key_id == acme.api_key.pk for e in entries)


def test_scoped_session_sees_and_subscribes_only_within_its_scope(acme, event_types):
    inside = create_subscription(
        acme.account, url="https://hooks.acme.example/cards", event_types=["card.created"]
    )
    outside = create_subscription(acme.account, url="https://hooks.acme.example/all")
    browser = open_portal(acme, event_types=["card.created", "card.updated"])
    listing = browser.get("/portal/endpoints").content.decode()
    assert inside.url in listing and outside.url not in listing
    assert browser.get(reverse("portal:endpoint", args=[outside.token])).status_code == 404
    catalog = browser.get("/portal/catalog").content.decode()
    assert "card.updated" in catalog and "balance.updated" not in catalog
    assert browser.get(reverse("portal:catalog-type", args=["balance.updated"])).status_code == 404
    # "Every type" would reach past the scope; a type outside it is not a choice.
    for chosen in ([], ["balance.updated"]):
        response = browser.post(
            reverse("portal:endpoint-create"),
            {"url": "https://hooks.acme.example/new", "event_types": chosen},
        )
        assert response.status_code == 200 and b"pt-errors" in response.content
    assert EventSubscription.objects.filter(account=acme.account).count() == 2


def test_category_scope(acme, event_types):
    browser = open_portal(acme, categories=["configuration"])
    catalog = browser.get("/portal/catalog").content.decode()
    assert "configuration.commitment.created" in catalog and "card.created" not in catalog
