"""Actioning error events through the billing API, driven by the unmodified m3ter SDK in strict mode: the
SDK has no method for `POST .../events/{id}/action`, so it goes through the client's own `.post`;
`includeActioned=false` shows only events waiting for action, and strict parsing holds for them too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import m3ter
import pytest
from django.utils import timezone
from m3ter.types import EventResponse

from eventhub.models import AuditLogEntry, Event
from eventhub.services.catalog import load_packs
from eventhub.services.ingest import publish
from tests.billing.test_billing_api import bearer
from tests.billing.test_m3ter_sdk import sdk

pytestmark = pytest.mark.django_db(transaction=True)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture
def client(acme, event_types, live_server) -> m3ter.M3ter:
    load_packs(["billing"])
    return sdk(acme, live_server.url, oauth=False)


def action(client: m3ter.M3ter, org: str, event_id: str) -> EventResponse:
    return client.post(f"/organizations/{org}/events/{event_id}/action", cast_to=EventResponse)


def test_an_error_event_waits_for_action_until_a_key_actions_it(client, acme, live_server):
    failure = publish(
        acme.account, "error.integration.perform", {"message": "Destination answered 500."}
    ).event
    card = publish(acme.account, "card.created", {"card_token": "c1"}).event

    waiting = list(
        client.events.list(include_actioned=False)
    )  # strict parsing: dtActioned must be a datetime
    assert [e.id for e in waiting] == [failure.token]
    assert waiting[0].dt_actioned == EPOCH and waiting[0].actioned is False
    assert {e.id for e in client.events.list()} == {failure.token, card.token}  # omitted: every event
    assert {e.id for e in client.events.list(include_actioned=True)} == {failure.token, card.token}
    assert client.events.retrieve(card.token).dt_actioned == card.processed_at  # actioned when processed

    before = timezone.now()
    actioned = action(client, acme.token, failure.token)
    assert actioned.id == failure.token and actioned.actioned is True
    assert before <= actioned.dt_actioned <= timezone.now() + timedelta(seconds=1)
    assert actioned.to_dict()["actionedBy"] == acme.key_id  # an extra field: the wire name
    assert list(client.events.list(include_actioned=False)) == []
    assert client.events.retrieve(failure.token).dt_actioned == actioned.dt_actioned
    [audit] = AuditLogEntry.objects.filter(action="event.actioned")
    assert audit.object_token == failure.token and audit.actor_key_id == acme.api_key.pk

    # Again: nothing changes, nothing more is audited.
    assert action(client, acme.token, failure.token).dt_actioned == actioned.dt_actioned
    assert AuditLogEntry.objects.filter(action="event.actioned").count() == 1


def test_another_organizations_key_can_neither_see_nor_action_an_error_event(
    client, acme, globex, live_server
):
    failure = publish(acme.account, "error.integration.validation", {"message": "Rejected."}).event
    other = sdk(globex, live_server.url, oauth=False)
    assert list(other.events.list(include_actioned=False)) == []
    with pytest.raises(m3ter.NotFoundError):
        action(other, globex.token, failure.token)
    with pytest.raises(m3ter.PermissionDeniedError):
        action(other, acme.token, failure.token)
    assert Event.objects.get(pk=failure.pk).awaiting_action


def test_a_bad_include_actioned_value_is_a_400_naming_the_parameter(client, acme):
    answered = bearer(acme).get(f"/organizations/{acme.token}/events", {"includeActioned": "maybe"})
    assert answered.status_code == 400 and "includeActioned" in answered.json()["errors"]
