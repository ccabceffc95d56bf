"""Integration configurations have a life cycle: disabling one stops its routing (an event published
while it is disabled never reaches the destination through it), enabling it routes again; each change is
one audited service call; unsupported destinations and entity types are a 400 that says what is supported;
another organization sees and changes nothing."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from deliveries import tasks
from deliveries.services import engine
from deliveries.services.dispatch import ANY
from eventhub.models import AuditLogEntry
from eventhub.services.ingest import publish
from eventhub.services.rules import create_rule
from subscriptions.integrations import (
    UNROUTED,
    create_integration,
    create_webhook_destination,
    disable_integration,
    enable_integration,
)
from subscriptions.models import EventSubscription, IntegrationConfiguration

pytestmark = pytest.mark.django_db
UPDATED = "configuration.commitment.updated"
CREDENTIALS = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "k", "secret": "top-secret"}


@pytest.fixture(autouse=True)
def kicks(monkeypatch) -> list[str]:
    """Worker kicks are recorded, not sent to a broker: the test runs the delivery loop itself."""
    sent: list[str] = []
    for task in (tasks.deliver_due, tasks.deliver_retries, tasks.sweep, tasks.run_recovery_job):
        monkeypatch.setattr(task, "apply_async", lambda *a, _name=task.name, **k: sent.append(_name))
        monkeypatch.setattr(task, "delay", lambda *a, _name=task.name, **k: sent.append(_name))
    return sent


def bearer(keyed) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {keyed.key}")
    return client


def org(keyed, path: str) -> str:
    return f"/organizations/{keyed.token}/{path}"


def routed(keyed, url: str) -> tuple[EventSubscription, IntegrationConfiguration]:
    destination = create_webhook_destination(keyed.account, url=url, name="hook", credentials=CREDENTIALS)
    rule = create_rule(
        keyed.account, name="Any", code="any", event_name=UPDATED, always_fire_event=True, description=""
    )
    config = create_integration(
        keyed.account,
        destination="WEBHOOK",
        entity_type="Notification",
        destination_id=destination.token,
        entity_id=rule.token,
    )
    return destination, config


def received_ids(receiver) -> list[str]:
    return [json.loads(r.body)["new"]["id"] for r in receiver.requests]


def test_a_disabled_configuration_stops_routing_and_enabling_it_routes_again(acme, event_types, receiver):
    destination, config = routed(acme, receiver.url)
    disable_integration(config, actor=acme.api_key)
    assert EventSubscription.objects.get(pk=destination.pk).event_types == [UNROUTED]
    publish(acme.account, UPDATED, {"id": "while-disabled", "amount": 1})
    engine.deliver_due(ANY)
    assert receiver.requests == []

    enable_integration(config, actor=acme.api_key)
    publish(acme.account, UPDATED, {"id": "after-enable", "amount": 2})
    engine.deliver_due(ANY)
    receiver.wait_for(1)
    assert received_ids(receiver) == ["after-enable"]


def test_put_enabled_false_disables_and_a_put_without_it_keeps_it(acme, event_types):
    client = bearer(acme)
    destination, config = routed(acme, "http://127.0.0.1:9/h")
    body = {
        "destination": "WEBHOOK",
        "entityType": "Notification",
        "destinationId": destination.token,
        "entityId": config.entity_id,
    }
    path = org(acme, f"integrationconfigs/{config.token}")
    off = client.put(path, {**body, "enabled": False, "version": 1}, format="json")
    assert off.status_code == 200, off.content
    assert off.json()["enabled"] is False and client.get(path).json()["status"] == "DISABLED"
    assert EventSubscription.objects.get(pk=destination.pk).event_types == [UNROUTED]
    kept = client.put(path, {**body, "name": "renamed", "version": 2}, format="json").json()
    assert kept["enabled"] is False and kept["name"] == "renamed"
    on = client.post(org(acme, f"integrationconfigs/{config.token}/enable"))
    assert on.status_code == 200 and on.json()["enabled"] is True
    assert EventSubscription.objects.get(pk=destination.pk).event_types == ["notification.any"]
    bad = client.put(path, {**body, "enabled": "maybe", "version": 3}, format="json")
    assert bad.status_code == 400 and "enabled" in bad.json()["errors"]


def test_every_state_change_is_one_audit_row_for_the_key(acme, event_types):
    client = bearer(acme)
    destination, _ = routed(acme, "http://127.0.0.1:9/h")
    body = {"destination": "WEBHOOK", "entityType": "Notification", "destinationId": destination.token}
    created = client.post(org(acme, "integrationconfigs"), body, format="json").json()
    path = org(acme, f"integrationconfigs/{created['id']}")
    client.put(path, {**body, "enabled": False, "version": 1}, format="json")
    client.post(f"{path}/enable")
    client.post(f"{path}/enable")  # already enabled: nothing changes, nothing is audited
    client.delete(path)
    rows = AuditLogEntry.objects.filter(object_token=created["id"]).order_by("id")
    assert [(r.action, r.actor_key_id) for r in rows] == [
        ("integration.created", acme.api_key.pk),
        ("integration.updated", acme.api_key.pk),
        ("integration.disabled", acme.api_key.pk),
        ("integration.enabled", acme.api_key.pk),
        ("integration.deleted", acme.api_key.pk),
    ]


@pytest.mark.parametrize(
    "field,sent,supported",
    [("destination", "NETSUITE", "WEBHOOK"), ("entityType", "Bill", "Notification")],
)
def test_an_unsupported_destination_or_entity_type_is_400_naming_the_field_and_what_is_supported(
    acme, event_types, field, sent, supported
):
    destination, _ = routed(acme, "http://127.0.0.1:9/h")
    body = {"destination": "WEBHOOK", "entityType": "Notification", "destinationId": destination.token}
    response = bearer(acme).post(org(acme, "integrationconfigs"), {**body, field: sent}, format="json")
    assert response.status_code == 400
    error = response.json()
    assert list(error["errors"]) == [field]
    assert (
        sent in error["errors"][field][0]
        and f"supported {'destinations' if field == 'destination' else 'entity types'} are {supported}"
        in error["errors"][field][0]
    )
    assert error["message"].startswith(f"{field}: ")
    assert IntegrationConfiguration.objects.filter(account=acme.account).count() == 1


def test_another_organizations_key_sees_and_changes_nothing(acme, globex, event_types):
    destination, config = routed(acme, "http://127.0.0.1:9/h")
    theirs = bearer(globex)
    body = {"destination": "WEBHOOK", "entityType": "Notification", "destinationId": destination.token}
    mine = org(acme, f"integrationconfigs/{config.token}")
    for response in (
        theirs.get(mine),
        theirs.post(f"{mine}/enable"),
        theirs.put(mine, {**body, "enabled": False}, format="json"),
        theirs.delete(mine),
    ):
        assert response.status_code == 403
    own = org(globex, f"integrationconfigs/{config.token}")
    for response in (
        theirs.get(own),
        theirs.post(f"{own}/enable"),
        theirs.put(own, {**body, "enabled": False}, format="json"),
        theirs.delete(own),
    ):
        assert response.status_code == 404
    assert theirs.get(org(globex, "integrationconfigs")).json()["data"] == []
    created = theirs.post(org(globex, "integrationconfigs"), body, format="json")  # acme's destination
    assert created.status_code == 400 and "destinationId" in created.json()["errors"]
    config.refresh_from_db()
    assert config.enabled is True and config.version == 1
    assert not AuditLogEntry.objects.filter(actor_key=globex.api_key).exists()
