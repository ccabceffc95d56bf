"""Billing-dialect details the SDK does not show: error field names, hostile input, secrets never echoed,
and that a webhook destination receives exactly what its integration configurations route to it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from deliveries.models import Message
from eventhub.services.catalog import create_event_type
from eventhub.services.ingest import publish
from subscriptions.integrations import UNROUTED
from subscriptions.models import EventSubscription

pytestmark = pytest.mark.django_db
UPDATED = "configuration.commitment.updated"
CREDENTIALS = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "k", "secret": "top-secret"}


def bearer(keyed) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {keyed.key}")
    return client


def org(keyed, path: str) -> str:
    return f"/organizations/{keyed.token}/{path}"


def test_service_errors_name_fields_in_camel_case(acme, event_types):
    response = bearer(acme).post(
        org(acme, "notifications/configurations"),
        {"name": "n", "code": "c", "description": "", "eventName": "no.such", "alwaysFireEvent": True},
        format="json",
    )
    assert response.status_code == 400
    assert "eventName" in response.json()["errors"] and "event_name" not in response.json()["errors"]
    assert response.json()["message"].startswith("eventName: Unknown event type")


def test_a_version_conflict_is_409_that_must_not_be_retried(acme, event_types):
    client = bearer(acme)
    body = {"name": "scheduled.commitment.x", "entity": "commitment", "field": "endDate", "offset": 1}
    created = client.post(org(acme, "scheduledevents/configurations"), body, format="json").json()
    response = client.put(
        org(acme, f"scheduledevents/configurations/{created['id']}"), {**body, "version": 7}, format="json"
    )
    assert response.status_code == 409 and response["x-should-retry"] == "false"
    assert "version" in response.json()["errors"]


def test_scheduled_configurations_expose_active_and_a_put_without_it_keeps_it(acme, event_types):
    client = bearer(acme)
    body = {"name": "scheduled.commitment.y", "entity": "commitment", "field": "endDate", "offset": 1}
    created = client.post(org(acme, "scheduledevents/configurations"), body, format="json").json()
    assert created["active"] is True
    path = org(acme, f"scheduledevents/configurations/{created['id']}")
    paused = client.put(path, {**body, "active": False, "version": created["version"]}, format="json").json()
    assert paused["active"] is False
    kept = client.put(path, {**body, "offset": 2, "version": paused["version"]}, format="json").json()
    assert kept["active"] is False and client.get(path).json()["active"] is False


@pytest.mark.parametrize(
    "path", ["events?eventName=a%00b", "events/evt%00x", "integrationconfigs/entity/No%00te"]
)
def test_nul_characters_in_path_or_query_are_400(acme, event_types, path):
    response = bearer(acme).get(org(acme, path))
    assert response.status_code == 400 and "NUL" in response.json()["message"]


def test_event_fields_for_an_unknown_event_name_are_404(acme, event_types):
    assert bearer(acme).get(org(acme, "events/fields?eventName=no.such")).status_code == 404


def test_event_fields_without_an_event_name_list_every_visible_type_as_prefixed_field_names(
    acme, event_types
):
    response = bearer(acme).get(org(acme, "events/fields"))
    assert response.status_code == 200
    events = response.json()["events"]
    assert set(events) >= {UPDATED, "card.shipped", "configuration.commitment.created"}
    assert events[UPDATED]["new.amountSpent"] == "number" and events[UPDATED]["old.amountSpent"] == "number"
    assert events["card.shipped"] == {"new.card_token": "string"}


def test_created_event_fields_have_only_new_and_deleted_only_old(acme, event_types):
    client = bearer(acme)
    created = client.get(org(acme, "events/fields?eventName=configuration.commitment.created")).json()
    assert set(created["events"]) == {"new"}
    publish(acme.account, "configuration.commitment.deleted", {"id": "c1", "amount": 5})
    deleted = client.get(org(acme, "events/fields?eventName=configuration.commitment.deleted")).json()
    assert set(deleted["events"]) == {"old"} and deleted["events"]["old"]["amount"] == "integer"


def test_event_fields_come_from_the_schema_else_the_example_else_observed_payloads(acme, event_types):
    client = bearer(acme)
    from_schema = client.get(org(acme, f"events/fields?eventName={UPDATED}")).json()["events"]
    assert from_schema["new"]["amountSpent"] == "number" and from_schema["old"] == from_schema["new"]
    assert client.get(org(acme, "events/fields?eventName=card.shipped")).json()["events"] == {
        "new": {"card_token": "string"}
    }
    create_event_type("widget.spun", category="other")
    publish(acme.account, "widget.spun", {"speed": 3.5, "tracking": {"carrier": "ups"}})
    observed = client.get(org(acme, "events/fields?eventName=widget.spun")).json()["events"]
    assert observed == {"new": {"speed": "number", "tracking": "object", "tracking.carrier": "string"}}


def test_the_webhook_secret_is_never_returned(acme, event_types):
    client = bearer(acme)
    body = {"name": "h", "description": "", "url": "http://127.0.0.1:9/h", "credentials": CREDENTIALS}
    created = client.post(org(acme, "integrationdestinations/webhooks"), body, format="json")
    assert created.status_code == 200, created.content
    listed = client.get(org(acme, "integrationdestinations/webhooks"))
    assert "top-secret" not in created.content.decode() + listed.content.decode()


def test_a_destination_receives_only_routed_notifications(acme, event_types):
    client = bearer(acme)
    hook = client.post(
        org(acme, "integrationdestinations/webhooks"),
        {"name": "h", "description": "", "url": "http://127.0.0.1:9/h", "credentials": CREDENTIALS},
        format="json",
    ).json()
    rule = client.post(
        org(acme, "notifications/configurations"),
        {
            "name": "Big",
            "code": "big",
            "description": "",
            "eventName": UPDATED,
            "calculation": "new.amount > 50",
        },
        format="json",
    ).json()
    subscription = EventSubscription.objects.get(token=hook["id"])
    publish(acme.account, UPDATED, {"id": "c1", "amount": 60})
    assert not Message.objects.filter(subscription=subscription).exists()  # unrouted: nothing, not everything
    client.post(
        org(acme, "integrationconfigs"),
        {
            "destination": "WEBHOOK",
            "entityType": "Notification",
            "entityId": rule["id"],
            "destinationId": hook["id"],
        },
        format="json",
    )
    publish(acme.account, UPDATED, {"id": "c1", "amount": 70})
    publish(acme.account, UPDATED, {"id": "c2", "amount": 10})
    delivered = Message.objects.filter(subscription=subscription).select_related("event")
    assert [m.event.event_type_name for m in delivered] == ["notification.big"]


def test_deleting_a_rule_unroutes_it(acme, event_types):
    client = bearer(acme)
    hook = client.post(
        org(acme, "integrationdestinations/webhooks"),
        {"name": "h", "description": "", "url": "http://127.0.0.1:9/h", "credentials": CREDENTIALS},
        format="json",
    ).json()
    rule = client.post(
        org(acme, "notifications/configurations"),
        {"name": "Any", "code": "any", "description": "", "eventName": UPDATED, "alwaysFireEvent": True},
        format="json",
    ).json()
    config = client.post(
        org(acme, "integrationconfigs"),
        {
            "destination": "WEBHOOK",
            "entityType": "Notification",
            "entityId": rule["id"],
            "destinationId": hook["id"],
        },
        format="json",
    ).json()
    assert client.delete(org(acme, f"notifications/configurations/{rule['id']}")).status_code == 200
    assert EventSubscription.objects.get(token=hook["id"]).event_types == [UNROUTED]
    assert client.get(org(acme, f"integrationconfigs/{config['id']}")).json()["status"] == "ERROR"


def test_staff_keys_may_act_for_any_organization(acme, staff_key, event_types):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_key}")
    assert client.get(org(acme, "events")).status_code == 200
    assert client.get("/organizations/acct_unknown/events").status_code == 404


def test_no_key_is_401(acme):
    response = APIClient().get(org(acme, "events/types"))
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"


def test_nul_characters_in_integration_config_data_are_400(acme, event_types):
    client = bearer(acme)
    hook = client.post(
        org(acme, "integrationdestinations/webhooks"),
        {"name": "h", "description": "", "url": "http://127.0.0.1:9/h", "credentials": CREDENTIALS},
        format="json",
    ).json()
    response = client.post(
        org(acme, "integrationconfigs"),
        {
            "destination": "WEBHOOK",
            "entityType": "Notification",
            "destinationId": hook["id"],
            "configData": {"k": "a\x00b"},
        },
        format="json",
    )
    assert response.status_code == 400 and "configData" in response.json()["errors"]
