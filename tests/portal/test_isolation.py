"""Tenant isolation: a session for Acme walks every portal URL (the list comes from portal.urls, so a new
route without coverage fails here) with Globex's objects, by GET and by POST, and never sees or changes them."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, reverse

from deliveries.models import Message, RecoveryJob
from deliveries.services.recovery import send_example
from eventhub.models import AuditLogEntry
from eventhub.services.rules import create_rule
from portal import urls as portal_urls
from subscriptions.models import EventSubscription
from subscriptions.services import create_subscription
from tests.portal.conftest import add_deliveries, open_portal

pytestmark = pytest.mark.django_db

# Routes that take no object: listed explicitly, so that adding a route forces a decision here.
OBJECTLESS = {"start", "home", "end", "endpoints", "endpoint-create", "catalog", "messages"}


@pytest.fixture
def globex_world(globex, event_types):
    """Globex's endpoint, messages with attempts, an example message, and an event type only Globex owns."""
    subscription = create_subscription(
        globex.account, url="https://hooks.globex.example/secret-path", description="globex only"
    )
    messages = add_deliveries(subscription, 3, failed_every=2)
    send_example(subscription, "card.created")
    create_rule(
        globex.account,
        name="Globex rule",
        code="globex_private",
        event_name="card.created",
        calculation="new.amount > 1",
    )
    return {"subscription": subscription, "message": messages[0], "owned_type": "notification.globex_private"}


def _kwargs_for(pattern: URLPattern, world: dict) -> dict:
    names = set(pattern.pattern.converters)
    mapping = {
        "token": world["subscription"].token
        if pattern.name.startswith("endpoint")
        else world["message"].token,
        "name": world["owned_type"],
    }
    missing = names - mapping.keys()
    assert not missing, f"portal route {pattern.name!r} takes {missing}: add it to the isolation walk"
    return {name: mapping[name] for name in names}


def _routes() -> list[URLPattern]:
    return [p for p in portal_urls.urlpatterns if isinstance(p, URLPattern)]


def test_every_route_is_covered():
    for pattern in _routes():
        assert pattern.name, "every portal route is named"
        assert pattern.pattern.converters or pattern.name in OBJECTLESS, (
            f"portal route {pattern.name!r} takes no object and is not in OBJECTLESS: decide how it is isolated"
        )


def test_a_session_for_one_account_never_shows_or_changes_another_accounts_objects(acme, globex_world):
    browser = open_portal(acme)
    own = create_subscription(acme.account, url="https://hooks.acme.example/own")
    globex_sub: EventSubscription = globex_world["subscription"]
    secrets = {
        globex_sub.token,
        globex_sub.url,
        "secret-path",
        "globex only",
        globex_world["message"].token,
        globex_world["message"].event.token,
        "notification.globex_private",
    }
    before = (
        EventSubscription.objects.filter(pk=globex_sub.pk).values().get(),
        Message.objects.filter(subscription=globex_sub).count(),
    )
    audit_before = AuditLogEntry.objects.filter(account=globex_sub.account).count()
    walked = []
    for pattern in _routes():
        if pattern.name == "start" or pattern.name == "end":
            continue  # start takes a link, not an object (tests/portal/test_sessions.py); end only clears the session
        if pattern.pattern.converters:
            url = reverse(f"portal:{pattern.name}", kwargs=_kwargs_for(pattern, globex_world))
            get = browser.get(url)
            assert get.status_code in (404, 405), (pattern.name, get.status_code)
            post = browser.post(
                url,
                {"disabled": "1", "url": "https://evil.example/x", "event_type": "card.created", "since": ""},
            )
            assert post.status_code in (404, 405), (pattern.name, post.status_code)
            # A 404 may echo the requested path (which the caller already knew); nothing else of Globex's.
            unknown_to_caller = {secret for secret in secrets if secret not in url}
            for response in (get, post):
                body = response.content.decode()
                assert not any(secret in body for secret in unknown_to_caller), pattern.name
        else:
            url = reverse(f"portal:{pattern.name}")
            # Objectless pages, with query strings naming Globex's objects.
            for query in (
                "",
                f"?endpoint={globex_sub.token}",
                "?q=globex",
                "?event_type=notification.globex_private",
            ):
                response = browser.get(url + query)
                assert response.status_code in (200, 302, 405), (pattern.name, response.status_code)
                body = response.content.decode()
                # A filter form may echo what the caller typed; nothing else of Globex's.
                assert not any(secret in body for secret in secrets if secret not in query), (
                    pattern.name,
                    query,
                )
        walked.append(pattern.name)
    assert set(walked) == {p.name for p in _routes()} - {"start", "end"}
    # The list pages showed Acme's own data, so the walk looked at real pages.
    assert own.url in browser.get(reverse("portal:endpoints")).content.decode()
    after = (
        EventSubscription.objects.filter(pk=globex_sub.pk).values().get(),
        Message.objects.filter(subscription=globex_sub).count(),
    )
    assert after == before
    assert not RecoveryJob.objects.filter(subscription=globex_sub).exists()
    assert AuditLogEntry.objects.filter(account=globex_sub.account).count() == audit_before


def test_the_same_walk_with_own_objects_reaches_the_pages(acme, event_types):
    """The control for the walk above: with Acme's own objects every object route answers (so the 404s
    there come from isolation, not from a broken route)."""
    browser = open_portal(acme)
    own = create_subscription(acme.account, url="https://hooks.acme.example/own")
    create_rule(
        acme.account,
        name="Acme rule",
        code="acme_private",
        event_name="card.created",
        calculation="new.amount > 1",
    )
    world = {
        "subscription": own,
        "message": add_deliveries(own, 1)[0],
        "owned_type": "notification.acme_private",
    }
    for pattern in _routes():
        if pattern.pattern.converters and pattern.name != "start":
            response = browser.get(reverse(f"portal:{pattern.name}", kwargs=_kwargs_for(pattern, world)))
            assert response.status_code in (200, 405), (pattern.name, response.status_code)


def test_message_log_filter_by_another_accounts_endpoint_is_empty(acme, globex_world):
    browser = open_portal(acme)
    response = browser.get(f"/portal/messages?endpoint={globex_world['subscription'].token}")
    assert response.status_code == 200
    assert not re.search(r'data-token="msg', response.content.decode())
