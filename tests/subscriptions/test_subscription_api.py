"""/v1/event_subscriptions: CRUD, URL policy, secrets and rotation, account isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions.models import EventSubscription
from subscriptions.services import signing_secrets

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/hook"


def test_create_with_url_only_gives_all_types_and_empty_description(acme, event_types):
    response = acme.client().post("/v1/event_subscriptions", {"url": URL}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("ep_")
    assert body["description"] == "" and body["disabled"] is False and body["event_types"] is None


def test_create_update_list_delete(acme, event_types):
    client = acme.client()
    token = client.post(
        "/v1/event_subscriptions",
        {"url": URL, "event_types": ["card.created"], "description": "d"},
        format="json",
    ).json()["token"]
    patched = client.patch(
        f"/v1/event_subscriptions/{token}", {"url": URL, "disabled": True}, format="json"
    ).json()
    assert patched["disabled"] is True and patched["event_types"] == ["card.created"]
    assert EventSubscription.objects.get(token=token).disabled_reason == "manual"
    listed = client.get("/v1/event_subscriptions").json()
    assert [s["token"] for s in listed["data"]] == [token] and listed["has_more"] is False
    assert client.delete(f"/v1/event_subscriptions/{token}").status_code == 204
    assert client.get(f"/v1/event_subscriptions/{token}").status_code == 404


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/x", "https"),
        ("https://", "https"),
        ("http://example.com/hook", "HTTPS"),
        ("https://user:pw@example.com/hook", "user:password"),
        ("https://10.1.2.3/hook", "private"),
        ("https://169.254.169.254/latest", "private"),
        ("https://[::ffff:10.0.0.1]/x", "private"),
    ],
)
def test_bad_urls_are_400_naming_url(acme, event_types, url, fragment):
    response = acme.client().post("/v1/event_subscriptions", {"url": url}, format="json")
    assert response.status_code == 400
    assert fragment in response.json()["errors"]["url"][0]


def test_unknown_event_type_is_400(acme, event_types):
    response = acme.client().post(
        "/v1/event_subscriptions", {"url": URL, "event_types": ["nope.x"]}, format="json"
    )
    assert response.status_code == 400 and "nope.x" in response.json()["errors"]["event_types"][0]


def test_secret_is_whsec_and_rotation_keeps_the_old_one_for_24h(acme, event_types):
    client = acme.client()
    token = client.post("/v1/event_subscriptions", {"url": URL}, format="json").json()["token"]
    old = client.get(f"/v1/event_subscriptions/{token}/secret").json()["secret"]
    assert old.startswith("whsec_")
    assert client.post(f"/v1/event_subscriptions/{token}/secret/rotate").status_code == 204
    new = client.get(f"/v1/event_subscriptions/{token}/secret").json()["secret"]
    assert new != old
    subscription = EventSubscription.objects.get(token=token)
    assert signing_secrets(subscription) == [new, old]
    assert signing_secrets(subscription, now=timezone.now() + timedelta(hours=24, seconds=1)) == [new]
    assert old not in subscription.secret_encrypted + subscription.previous_secret_encrypted


def test_another_accounts_subscription_is_404_everywhere(acme, globex, event_types):
    token = acme.client().post("/v1/event_subscriptions", {"url": URL}, format="json").json()["token"]
    client = globex.client()
    assert client.get(f"/v1/event_subscriptions/{token}").status_code == 404
    assert client.patch(f"/v1/event_subscriptions/{token}", {"url": URL}, format="json").status_code == 404
    assert client.get(f"/v1/event_subscriptions/{token}/secret").status_code == 404
    assert client.post(f"/v1/event_subscriptions/{token}/secret/rotate").status_code == 404
    assert client.delete(f"/v1/event_subscriptions/{token}").status_code == 404
    assert client.get("/v1/event_subscriptions").json()["data"] == []
