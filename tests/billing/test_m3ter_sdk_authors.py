"""The m3ter SDK, unmodified and strict, drives an integration configuration's life cycle (create, disable
through PUT `enabled`, enable, list) and reads createdBy/lastModifiedBy as the acting key's id on every
resource whose SDK model has them."""

from __future__ import annotations

import m3ter
import pytest

from eventhub.services.accounts import issue_api_key
from tests.billing.test_m3ter_sdk import CREDENTIALS, HOOK, UPDATED, sdk

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(acme, event_types, live_server) -> m3ter.M3ter:
    return sdk(acme, live_server.url, oauth=False)


def test_sdk_creates_disables_enables_and_lists_an_integration_configuration(client, acme):
    hook = client.webhooks.create(name="Hook", description="", url=HOOK, credentials=CREDENTIALS)
    rule = client.notification_configurations.create(
        code="big", name="Big", description="", event_name=UPDATED, calculation="new.amount > 50"
    )
    api = client.integration_configurations
    body = {"destination": "WEBHOOK", "entity_type": "Notification", "destination_id": hook.id}
    created = api.create(**body, entity_id=rule.id)
    assert created.enabled is True and api.retrieve(created.id).status == "WAITING"  # nothing routed yet

    # The SDK has no disable: a PUT with the hub's `enabled` extension, sent as an extra body key.
    disabled = api.update(created.id, **body, entity_id=rule.id, version=1, extra_body={"enabled": False})
    assert disabled.enabled is False and api.retrieve(created.id).status == "DISABLED"
    assert [(c.id, c.enabled) for c in api.list(destination_id=hook.id)] == [(created.id, False)]

    enabled = api.enable(created.id)
    assert enabled.enabled is True and api.retrieve(created.id).status == "WAITING"
    assert [(c.id, c.enabled) for c in api.list()] == [(created.id, True)]


def test_created_by_and_last_modified_by_carry_the_acting_keys_id(client, acme, live_server):
    other = issue_api_key(acme.account, name="second")
    second = sdk(acme, live_server.url, oauth=False, token=other.raw_key)

    hook = client.webhooks.create(name="Hook", description="", url=HOOK, credentials=CREDENTIALS)
    rule = client.notification_configurations.create(
        code="big", name="Big", description="", event_name=UPDATED, always_fire_event=True
    )
    scheduled = client.scheduled_event_configurations.create(
        entity="Commitment", field="endDate", name="scheduled.commitment.ending", offset=-1
    )
    config = client.integration_configurations.create(
        destination="WEBHOOK", entity_type="Notification", destination_id=hook.id
    )
    for made in (hook, rule, scheduled, config):
        assert (made.created_by, made.last_modified_by) == (acme.key_id, acme.key_id), made

    second.webhooks.set_active(hook.id, active=False)
    second.notification_configurations.update(
        rule.id, code="big", name="Bigger", description="", event_name=UPDATED, always_fire_event=True
    )
    second.scheduled_event_configurations.update(
        scheduled.id, entity="Commitment", field="endDate", name="scheduled.commitment.ending", offset=-2
    )
    second.integration_configurations.enable(config.id)  # already enabled: no change, no new author
    second.integration_configurations.update(
        config.id, destination="WEBHOOK", entity_type="Notification", destination_id=hook.id, name="n"
    )
    for read in (
        client.webhooks.retrieve(hook.id),
        client.notification_configurations.retrieve(rule.id),
        client.scheduled_event_configurations.retrieve(scheduled.id),
        client.integration_configurations.retrieve(config.id),
        next(iter(client.integration_configurations.list())),
        next(iter(client.webhooks.list())),
    ):
        assert (read.created_by, read.last_modified_by) == (acme.key_id, other.api_key.key_id), read
