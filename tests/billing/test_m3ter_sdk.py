"""The official m3ter SDK, unmodified and in strict mode, against the running app: every method of events,
scheduled event configurations, notification configurations, webhooks and integration configurations,
with a pre-issued token and through the OAuth client-credentials flow."""

from __future__ import annotations

import m3ter
import pytest

from eventhub.models import NotificationRule
from eventhub.services.ingest import publish
from subscriptions.integrations import UNROUTED
from subscriptions.models import EventSubscription

pytestmark = pytest.mark.django_db(transaction=True)
CREATED, UPDATED = "configuration.commitment.created", "configuration.commitment.updated"
CREDENTIALS = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "k-123", "secret": "s3cret-value"}
HOOK = "http://127.0.0.1:9/hook"


def sdk(keyed, base_url: str, *, oauth: bool, **overrides) -> m3ter.M3ter:
    options = {
        "org_id": keyed.token,
        "base_url": base_url,
        "_strict_response_validation": True,
        "max_retries": 0,
    }
    if oauth:  # the SDK exchanges key id + key for a bearer token at /oauth/token before each call
        options.update(api_key=keyed.key_id, api_secret=keyed.key)
    else:
        options.update(api_key="unused", api_secret="unused", token=keyed.key)
    return m3ter.M3ter(**{**options, **overrides})


@pytest.fixture(params=["token", "oauth"])
def client(request, acme, event_types, live_server) -> m3ter.M3ter:
    return sdk(acme, live_server.url, oauth=request.param == "oauth")


def test_events_list_with_filters_and_pages_retrieve_fields_and_types(client, acme):
    for index in range(23):
        publish(
            acme.account,
            CREATED,
            {"id": f"c{index}", "amount": 10, "accountId": "acc-1" if index < 3 else "acc-2"},
        )
    rule = client.notification_configurations.create(
        code="big",
        name="Big",
        description="amount over 50",
        event_name=UPDATED,
        calculation="new.amount > 50",
    )
    update = publish(acme.account, UPDATED, {"id": "c3", "amount": 60}).event

    everything = list(client.events.list(page_size=10))
    assert len(everything) == 25 and len({e.id for e in everything}) == 25
    first_page = client.events.list(page_size=10)
    assert len(first_page.data) == 10 and first_page.has_next_page()
    assert everything[0].event_name == "notification.big" and everything[1].id == update.token  # newest first
    assert all(e.dt_actioned is not None for e in everything)

    def names(**filters) -> list[str]:
        return [e.event_name for e in client.events.list(page_size=4, **filters)]

    assert names(event_name=CREATED) == [CREATED] * 23
    assert {e.id for e in client.events.list(ids=[everything[5].id, everything[7].id])} == {
        everything[5].id,
        everything[7].id,
    }
    assert names(resource_id="c3") == [UPDATED, CREATED]
    assert names(account_id="acc-1") == [CREATED] * 3
    # The SDK: these filters return the events that triggered the notification, not the notification events.
    assert [e.id for e in client.events.list(notification_code="big")] == [update.token]
    assert [e.id for e in client.events.list(notification_id=rule.id)] == [update.token]
    assert names(notification_code="nope") == [] and names(notification_id="nope") == []
    assert names(event_type="Notification") == ["notification.big"]
    assert len(names(include_actioned=True)) == 25

    notification = client.events.retrieve(everything[0].id)
    assert notification.m3ter_event["eventData"] == {
        "new": {"id": "c3", "amount": 60},
        "old": {"id": "c3", "amount": 10, "accountId": "acc-2"},
    }
    assert notification.m3ter_event["notification"]["code"] == "big"
    assert notification.m3ter_event["source"] == {"id": update.token, "eventName": UPDATED}
    created = client.events.retrieve(everything[-1].id)
    assert created.m3ter_event == {
        "eventData": {"new": {"id": "c0", "amount": 10, "accountId": "acc-1"}, "old": None}
    }
    assert created.event_time is not None

    fields = client.events.get_fields(event_name=UPDATED).events
    assert fields["new"]["amount"] == "number" and fields["old"]["endDate"] == "string"
    every_type = client.events.get_fields().events  # eventName is optional in the SDK
    assert every_type[UPDATED]["new.amount"] == "number" and "old.amount" not in every_type[CREATED]
    assert {CREATED, UPDATED, "notification.big"} <= set(client.events.get_types().events)

    with pytest.raises(m3ter.NotFoundError):
        client.events.retrieve("evt_nope")
    with pytest.raises(m3ter.BadRequestError):
        client.events.list(event_type="Nonsense")


def test_scheduled_event_configurations_crud(client):
    api = client.scheduled_event_configurations
    created = api.create(entity="Commitment", field="endDate", name="scheduled.commitment.ending", offset=-10)
    assert (created.entity, created.field, created.offset, created.version) == (
        "Commitment",
        "endDate",
        -10,
        1,
    )
    assert api.retrieve(created.id).name == "scheduled.commitment.ending"
    for index in range(3):
        api.create(entity="Bill", field="dueDate", name=f"scheduled.bill.due{index}", offset=index)
    assert len(list(api.list(page_size=2))) == 4
    assert [c.id for c in api.list(ids=[created.id])] == [created.id]
    updated = api.update(
        created.id,
        entity="Commitment",
        field="endDate",
        name="scheduled.commitment.ending",
        offset=-5,
        version=1,
    )
    assert (updated.offset, updated.version) == (-5, 2)
    with pytest.raises(m3ter.ConflictError):
        api.update(
            created.id,
            entity="Commitment",
            field="endDate",
            name="scheduled.commitment.ending",
            offset=-1,
            version=1,
        )
    with pytest.raises(m3ter.BadRequestError) as bad:
        api.create(entity="Commitment", field="endDate", name="scheduled.bill.wrong", offset=1)
    assert "name" in bad.value.body["errors"]
    assert "scheduled.commitment.ending" in client.events.get_types().events
    deleted = api.delete(created.id)
    assert deleted.id == created.id and deleted.offset == -5
    with pytest.raises(m3ter.NotFoundError):
        api.retrieve(created.id)


def test_notification_configurations_crud(client):
    api = client.notification_configurations
    created = api.create(
        code="spend_90",
        name="90 %",
        description="d",
        event_name=UPDATED,
        calculation="new.amountSpent >= new.amount * 0.9",
        always_fire_event=False,
        active=True,
    )
    assert (created.code, created.event_name, created.active, created.version) == (
        "spend_90",
        UPDATED,
        True,
        1,
    )
    other = api.create(
        code="always", name="Always", description="", event_name=CREATED, always_fire_event=True, active=False
    )
    assert api.retrieve(created.id).calculation == "new.amountSpent >= new.amount * 0.9"
    assert [n.id for n in api.list(page_size=1)] == [other.id, created.id]
    assert [n.id for n in api.list(active=False)] == [other.id]
    assert [n.id for n in api.list(event_name=UPDATED)] == [created.id]
    assert [n.id for n in api.list(ids=[other.id])] == [other.id]
    updated = api.update(
        created.id, code="spend_90", name="renamed", description="d", event_name=UPDATED, version=1
    )
    assert (updated.name, updated.version, updated.calculation) == ("renamed", 2, created.calculation)
    with pytest.raises(m3ter.ConflictError):
        api.update(created.id, code="spend_90", name="x", description="d", event_name=UPDATED, version=1)
    with pytest.raises(m3ter.BadRequestError) as bad:
        api.create(code="bad", name="Bad", description="", event_name=UPDATED, calculation="new.amount >> 1")
    assert "position 12" in bad.value.body["errors"]["calculation"][0]
    with pytest.raises(m3ter.BadRequestError) as unknown:
        api.create(code="x", name="X", description="", event_name="no.such.event", always_fire_event=True)
    assert "eventName" in unknown.value.body["errors"]
    with pytest.raises(m3ter.ConflictError):
        api.create(code="spend_90", name="dup", description="", event_name=UPDATED, always_fire_event=True)
    assert api.delete(created.id).code == "spend_90"
    with pytest.raises(m3ter.NotFoundError):
        api.retrieve(created.id)


def test_webhooks_crud_and_set_active(client, acme):
    api = client.webhooks
    created = api.create(name="Hook", description="d", url=HOOK, credentials=CREDENTIALS, code="hook")
    assert (created.name, created.url, created.active, created.code, created.version) == (
        "Hook",
        HOOK,
        True,
        "hook",
        1,
    )
    assert created.credentials.destination == "WEBHOOK" and created.credentials.api_key == "k-123"
    assert created.credentials.secret is None  # write-only
    stored = EventSubscription.objects.get(token=created.id)
    assert stored.dialect == "billing" and stored.event_types == [UNROUTED]
    assert "s3cret-value" not in str(stored.credentials)
    second = api.create(name="Other", description="", url=HOOK, credentials=CREDENTIALS, active=False)
    assert second.active is False
    assert [w.id for w in api.list(page_size=1)] == [second.id, created.id]
    assert [w.id for w in api.list(ids=[created.id])] == [created.id]
    assert api.retrieve(created.id).description == "d"
    updated = api.update(
        created.id, name="Hook 2", description="", url=HOOK + "2", credentials=CREDENTIALS, version=1
    )
    assert (updated.name, updated.url, updated.version) == ("Hook 2", HOOK + "2", 2)
    assert updated.credentials.id == created.credentials.id
    with pytest.raises(m3ter.ConflictError):
        api.update(created.id, name="x", description="", url=HOOK, credentials=CREDENTIALS, version=1)
    assert api.set_active(created.id, active=False).active is False
    assert EventSubscription.objects.get(token=created.id).disabled is True
    assert api.set_active(created.id, active=True).active is True
    with pytest.raises(m3ter.BadRequestError) as bad:
        api.create(name="Bad", description="", url="ftp://example.com", credentials=CREDENTIALS)
    assert "url" in bad.value.body["errors"]
    assert api.delete(created.id).id == created.id
    with pytest.raises(m3ter.NotFoundError):
        api.retrieve(created.id)


def test_integration_configurations_route_notifications_to_webhooks(client, acme):
    hook = client.webhooks.create(name="Hook", description="", url=HOOK, credentials=CREDENTIALS)
    rule = client.notification_configurations.create(
        code="big", name="Big", description="", event_name=UPDATED, calculation="new.amount > 50"
    )
    other = client.notification_configurations.create(
        code="any", name="Any", description="", event_name=CREATED, always_fire_event=True
    )
    api = client.integration_configurations

    created = api.create(
        destination="WEBHOOK",
        entity_type="Notification",
        entity_id=rule.id,
        destination_id=hook.id,
        name="to hook",
    )
    assert (
        created.destination,
        created.entity_type,
        created.entity_id,
        created.destination_id,
        created.enabled,
    ) == (
        "WEBHOOK",
        "Notification",
        rule.id,
        hook.id,
        True,
    )
    assert EventSubscription.objects.get(token=hook.id).event_types == ["notification.big"]
    retrieved = api.retrieve(created.id)
    assert retrieved.status == "WAITING" and retrieved.entity_id == rule.id  # nothing routed yet
    assert [c.id for c in api.list(destination_id=hook.id, page_size=1)] == [created.id]
    assert list(api.list(destination_id="ep_other")) == []

    by_entity = api.get_by_entity(
        "Notification", destination="WEBHOOK", destination_id=hook.id, entity_id=rule.id
    )
    assert by_entity.id == created.id and by_entity.status == "WAITING"
    with pytest.raises(m3ter.NotFoundError):
        api.get_by_entity("Bill")

    updated = api.update(
        created.id,
        destination="WEBHOOK",
        entity_type="Notification",
        entity_id=other.id,
        destination_id=hook.id,
        version=1,
    )
    assert updated.version == 2 and updated.entity_id == other.id
    assert EventSubscription.objects.get(token=hook.id).event_types == ["notification.any"]
    with pytest.raises(m3ter.ConflictError):
        api.update(
            created.id, destination="WEBHOOK", entity_type="Notification", destination_id=hook.id, version=1
        )
    catch_all = api.update(
        created.id, destination="WEBHOOK", entity_type="Notification", destination_id=hook.id, version=2
    )
    assert catch_all.entity_id is None or catch_all.entity_id == ""
    assert EventSubscription.objects.get(token=hook.id).event_types == [
        "notification.any",
        "notification.big",
    ]

    from subscriptions.models import IntegrationConfiguration

    IntegrationConfiguration.objects.filter(token=created.id).update(enabled=False)
    assert api.retrieve(created.id).status == "DISABLED"
    enabled = api.enable(created.id)
    assert enabled.enabled is True and api.retrieve(created.id).status == "WAITING"

    client.notification_configurations.update(
        other.id, code="renamed", name="Any", description="", event_name=CREATED, always_fire_event=True
    )
    assert EventSubscription.objects.get(token=hook.id).event_types == [
        "notification.big",
        "notification.renamed",
    ]

    with pytest.raises(m3ter.BadRequestError) as bad:
        api.create(destination="NETSUITE", entity_type="Bill", destination_id=hook.id)
    assert {"destination", "entityType"} <= set(bad.value.body["errors"])
    with pytest.raises(m3ter.BadRequestError):
        api.create(destination="WEBHOOK", entity_type="Notification", destination_id="ep_unknown")

    assert api.delete(created.id).id == created.id
    assert EventSubscription.objects.get(token=hook.id).event_types == [UNROUTED]
    with pytest.raises(m3ter.NotFoundError):
        api.retrieve(created.id)
    assert NotificationRule.objects.filter(account=acme.account).count() == 2


def test_another_organization_is_forbidden_and_its_objects_unknown(client, acme, globex):
    with pytest.raises(m3ter.PermissionDeniedError):
        client.events.list(org_id=globex.token)
    with pytest.raises(m3ter.PermissionDeniedError):
        client.scheduled_event_configurations.create(
            org_id=globex.token, entity="Bill", field="endDate", name="scheduled.bill.x", offset=0
        )
    theirs = publish(globex.account, CREATED, {"id": "g1", "amount": 1}).event
    with pytest.raises(m3ter.NotFoundError):
        client.events.retrieve(theirs.token)
    assert list(client.events.list()) == []


def test_a_bad_token_or_bad_credentials_are_401(acme, event_types, live_server):
    with pytest.raises(m3ter.AuthenticationError):
        sdk(acme, live_server.url, oauth=False, token="ehk_not-a-key").events.list()
    with pytest.raises(m3ter.AuthenticationError):
        sdk(acme, live_server.url, oauth=True, api_secret="wrong").events.get_types()
