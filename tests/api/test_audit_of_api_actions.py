"""API actions that change delivery state or reveal secrets leave an audit row naming the acting API key,
as the admin's actions name the staff user: both dialects, account keys and staff keys."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from eventhub.models import ApiKey, AuditLogEntry
from eventhub.services.accounts import key_digest
from eventhub.services.ingest import publish
from subscriptions.services import create_subscription

pytestmark = pytest.mark.django_db
HOOK = "http://127.0.0.1:9/hook"


def _rows(action: str) -> list[AuditLogEntry]:
    return list(AuditLogEntry.objects.filter(action=action).select_related("actor_key", "account"))


def _only_row(action: str, keyed, token: str) -> AuditLogEntry:
    rows = _rows(action)
    assert len(rows) == 1, f"{action}: {[(r.action, r.object_token) for r in AuditLogEntry.objects.all()]}"
    row = rows[0]
    assert row.actor_key_id == keyed.api_key.pk and row.actor_user_id is None
    assert row.account_id == keyed.account.pk and row.object_token == token
    return row


def test_subscription_create_update_delete_are_audited_with_the_key(acme, event_types):
    client = acme.client()
    created = client.post(
        "/v1/event_subscriptions", {"url": HOOK, "event_types": ["card.created"]}, format="json"
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert _only_row("subscription.created", acme, token).details["url"] == HOOK
    assert (
        client.patch(f"/v1/event_subscriptions/{token}", {"description": "x"}, format="json").status_code
        == 200
    )
    assert _only_row("subscription.updated", acme, token).details["fields"] == ["description"]
    assert client.delete(f"/v1/event_subscriptions/{token}").status_code == 204
    _only_row("subscription.deleted", acme, token)


def test_secret_read_and_rotation_are_audited_without_the_secret(acme, event_types):
    subscription = create_subscription(acme.account, url=HOOK)
    client = acme.client()
    secret = client.get(f"/v1/event_subscriptions/{subscription.token}/secret").json()["secret"]
    row = _only_row("subscription.secret_revealed", acme, subscription.token)
    assert secret not in str(row.details)
    assert client.post(f"/v1/event_subscriptions/{subscription.token}/secret/rotate").status_code == 204
    _only_row("subscription.secret_rotated", acme, subscription.token)


def test_resend_recover_replay_and_send_example_are_audited(acme, event_types):
    subscription = create_subscription(acme.account, url=HOOK)
    event = publish(acme.account, "card.created", {"card_token": "c1"}).event
    client = acme.client()
    resend = client.post(f"/v1/events/{event.token}/event_subscriptions/{subscription.token}/resend")
    assert resend.status_code == 202
    row = _rows("message.resent")
    assert len(row) == 1 and row[0].actor_key_id == acme.api_key.pk
    assert row[0].details["subscription"] == subscription.token and row[0].details["event"] == event.token
    assert client.post(f"/v1/event_subscriptions/{subscription.token}/recover").status_code == 202
    assert _only_row("subscription.recover_requested", acme, subscription.token).details["job"]
    assert client.post(f"/v1/event_subscriptions/{subscription.token}/replay_missing").status_code == 202
    _only_row("subscription.replay_missing_requested", acme, subscription.token)
    example = client.post(
        f"/v1/simulate/event_subscriptions/{subscription.token}/send_example",
        {"event_type": "card.created"},
        format="json",
    )
    assert example.status_code == 202
    _only_row("subscription.example_sent", acme, subscription.token)


def test_a_staff_key_acting_for_an_account_is_the_recorded_actor(acme, staff_key, event_types):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=staff_key)
    created = client.post(
        "/v1/event_subscriptions", {"url": HOOK, "account_token": acme.token}, format="json"
    )
    assert created.status_code == 201
    row = _rows("subscription.created")[0]
    assert (
        row.actor_key == ApiKey.objects.get(digest=key_digest(staff_key))
        and row.account_id == acme.account.pk
    )


def test_billing_webhook_destination_writes_are_audited_with_the_key(acme, event_types):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {acme.key}")
    base = f"/organizations/{acme.token}/integrationdestinations/webhooks"
    credentials = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "k", "secret": "top-secret"}
    body = {"name": "h", "description": "", "url": HOOK, "credentials": credentials}
    created = client.post(base, body, format="json")
    assert created.status_code == 200, created.content
    token = created.json()["id"]
    _only_row("subscription.created", acme, token)
    updated = client.put(f"{base}/{token}", {**body, "name": "h2", "version": 1}, format="json")
    assert updated.status_code == 200, updated.content
    row = _only_row("subscription.updated", acme, token)
    assert "top-secret" not in str(row.details)
    assert client.put(f"{base}/{token}/active?active=false").status_code == 200
    _only_row("subscription.disabled", acme, token)
    assert client.delete(f"{base}/{token}").status_code == 200
    _only_row("subscription.deleted", acme, token)


@pytest.mark.parametrize(
    "path,body,prefix",
    [
        (
            "notifications/configurations",
            {
                "name": "n",
                "code": "c",
                "description": "",
                "eventName": "card.created",
                "alwaysFireEvent": True,
            },
            "notification_rule",
        ),
        (
            "scheduledevents/configurations",
            {"name": "scheduled.commitment.x", "entity": "commitment", "field": "endDate", "offset": 1},
            "scheduled_event",
        ),
    ],
)
def test_billing_rule_and_scheduled_configuration_writes_are_audited_with_the_key(
    acme, event_types, path, body, prefix
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {acme.key}")
    base = f"/organizations/{acme.token}/{path}"
    created = client.post(base, body, format="json")
    assert created.status_code == 200, created.content
    token = created.json()["id"]
    _only_row(f"{prefix}.created", acme, token)
    assert client.put(f"{base}/{token}", {**body, "version": 1}, format="json").status_code == 200
    _only_row(f"{prefix}.updated", acme, token)
    assert client.delete(f"{base}/{token}").status_code == 200
    _only_row(f"{prefix}.deleted", acme, token)


def test_internal_service_calls_without_an_actor_write_no_audit_row(acme, event_types):
    create_subscription(acme.account, url=HOOK)
    assert not AuditLogEntry.objects.exists()
