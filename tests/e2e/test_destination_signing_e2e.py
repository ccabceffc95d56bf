"""End to end: a webhook destination made and changed with the unmodified m3ter SDK, a real worker and a
real receiver that holds only the destination's apiKey and secret and verifies every delivery with them."""

from __future__ import annotations

import m3ter
import pytest
import requests

from eventhub.verify import SignatureError, verify_destination_request

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
FIRST = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "dest-key-1", "secret": "dest-secret-1"}
SECOND = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "dest-key-2", "secret": "dest-secret-2"}


def publish(live_server, key: str, card_token: str) -> None:
    response = requests.post(
        f"{live_server.url}/v1/events",
        json={"event_type": "card.created", "payload": {"card_token": card_token}},
        headers={"Authorization": key},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def verifies_with(got, credentials: dict, url: str) -> dict:
    return verify_destination_request(
        got.body, got.headers, url=url, api_key=credentials["apiKey"], secret=credentials["secret"]
    )


def test_a_receiver_with_only_api_key_and_secret_verifies_every_delivery_before_and_after_a_put(
    worker_factory, live_server, acme, event_types, receiver
):
    # Retries 3 s apart: the credentials change lands cleanly between an attempt and its retry.
    worker_factory(env={"EVENTHUB_RETRY_SCHEDULE": "3,3,3,3"})
    client = m3ter.M3ter(
        api_key="unused",
        api_secret="unused",
        token=acme.key,
        org_id=acme.token,
        base_url=live_server.url,
        _strict_response_validation=True,
        max_retries=0,
    )
    hook = client.webhooks.create(
        name="Hook", description="", url=receiver.url, credentials=FIRST, code="hook"
    )
    rule = client.notification_configurations.create(
        code="cards", name="Cards", description="", event_name="card.created", always_fire_event=True
    )
    client.integration_configurations.create(
        destination="WEBHOOK", entity_type="Notification", entity_id=rule.id, destination_id=hook.id
    )

    publish(live_server, acme.key, "one")
    [first] = receiver.wait_for(1, timeout=20)
    assert verifies_with(first, FIRST, hook.url)["event_type"] == "notification.cards"

    # A failing attempt, then new credentials through PUT: its retry and every later delivery are signed
    # with the new ones, which the receiver now holds.
    receiver.behaviour.statuses = [500]
    publish(live_server, acme.key, "two")
    failed = receiver.wait_for(2, timeout=20)[1]
    verifies_with(failed, FIRST, hook.url)
    updated = client.webhooks.update(
        hook.id,
        name="Hook",
        description="",
        url=receiver.url,
        credentials=SECOND,
        code="hook",
        version=hook.version,
    )
    assert updated.credentials.api_key == "dest-key-2" and updated.credentials.secret is None
    retried = receiver.wait_for(3, timeout=20)[2]
    publish(live_server, acme.key, "three")
    fresh = receiver.wait_for(4, timeout=20)[3]
    assert b'"two"' in retried.body and b'"three"' in fresh.body
    for got in (retried, fresh):
        assert verifies_with(got, SECOND, updated.url)["event_type"] == "notification.cards"
        with pytest.raises(SignatureError):
            verifies_with(got, FIRST, updated.url)
