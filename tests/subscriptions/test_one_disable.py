"""Disabling and enabling a subscription has one implementation (subscriptions.services.set_disabled):
whichever interface does it, the change is audited once and the account gets an
`event_subscription.disabled` event."""

from __future__ import annotations

import pytest

from eventhub.models import AuditLogEntry, Event
from subscriptions.models import EventSubscription
from subscriptions.services import create_subscription, set_disabled

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/hook"
DISABLED = "event_subscription.disabled"


def _disabled_events(account) -> list[Event]:
    return list(Event.objects.filter(account=account, event_type_id=DISABLED))


def test_api_patch_disabled_emits_the_disabled_event_and_audits_it(acme, event_types):
    client = acme.client()
    token = client.post("/v1/event_subscriptions", {"url": URL}, format="json").json()["token"]
    response = client.patch(f"/v1/event_subscriptions/{token}", {"disabled": True}, format="json")
    assert response.status_code == 200 and response.json()["disabled"] is True
    events = _disabled_events(acme.account)
    assert [e.payload["event_subscription_token"] for e in events] == [token]
    assert events[0].payload["reason"] == "manual"
    assert AuditLogEntry.objects.filter(action="subscription.disabled", object_token=token).count() == 1


def test_api_patch_enabled_again_audits_enable_and_emits_nothing_more(acme, event_types):
    client = acme.client()
    token = client.post("/v1/event_subscriptions", {"url": URL}, format="json").json()["token"]
    client.patch(f"/v1/event_subscriptions/{token}", {"disabled": True}, format="json")
    client.patch(
        f"/v1/event_subscriptions/{token}", {"disabled": True}, format="json"
    )  # no change: no second event
    client.patch(f"/v1/event_subscriptions/{token}", {"disabled": False}, format="json")
    assert len(_disabled_events(acme.account)) == 1
    assert not EventSubscription.objects.get(token=token).disabled
    assert AuditLogEntry.objects.filter(action="subscription.enabled", object_token=token).count() == 1
    assert AuditLogEntry.objects.filter(action="subscription.disabled", object_token=token).count() == 1


def test_set_disabled_is_a_no_op_when_the_state_does_not_change(acme, event_types):
    subscription = create_subscription(acme.account, url=URL)
    assert set_disabled(subscription, False) is False
    assert set_disabled(subscription, True, detail="maintenance") is True
    assert set_disabled(subscription, True) is False
    assert len(_disabled_events(acme.account)) == 1
    assert _disabled_events(acme.account)[0].payload["detail"] == "maintenance"
