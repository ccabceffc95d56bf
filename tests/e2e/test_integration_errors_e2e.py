"""End to end: destinations set up with the unmodified m3ter SDK (strict), a real worker and real receivers.
One destination answers 401, another 500 until its last retry: each produces exactly one error event of
its kind, listed with `includeActioned=false` until it is actioned (a raw request through the SDK client:
the SDK has no method for it) and hidden after."""

from __future__ import annotations

import time

import m3ter
import pytest
import requests
from m3ter.types import EventResponse

from deliveries.models import Message, MessageStatus
from eventhub.models import Event
from eventhub.services.catalog import load_packs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CREDENTIALS = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "k", "secret": "s"}


def routed_destination(client: m3ter.M3ter, url: str, code: str) -> str:
    hook = client.webhooks.create(name=code, description="", url=url, credentials=CREDENTIALS, code=code)
    rule = client.notification_configurations.create(
        code=code, name=code, description="", event_name="card.created", always_fire_event=True
    )
    client.integration_configurations.create(
        destination="WEBHOOK", entity_type="Notification", entity_id=rule.id, destination_id=hook.id
    )
    return hook.id


def wait_until(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_a_refusing_and_a_failing_destination_each_raise_one_error_event_until_actioned(
    worker_factory, live_server, acme, event_types, receiver_factory
):
    load_packs(["billing"])
    worker_factory()  # retries 1 s apart, 3 of them (tests/e2e/conftest.py)
    client = m3ter.M3ter(
        api_key="unused",
        api_secret="unused",
        token=acme.key,
        org_id=acme.token,
        base_url=live_server.url,
        _strict_response_validation=True,
        max_retries=0,
    )
    refusing, failing = receiver_factory(), receiver_factory()
    refusing.behaviour.default_status = 401
    failing.behaviour.default_status = 500
    refusing_id = routed_destination(client, refusing.url, "refused")
    failing_id = routed_destination(client, failing.url, "failing")

    response = requests.post(
        f"{live_server.url}/v1/events",
        json={"event_type": "card.created", "payload": {"card_token": "c1"}},
        headers={"Authorization": acme.key},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    messages = Message.objects.filter(subscription__token__in=[refusing_id, failing_id])
    wait_until(lambda: messages.filter(status=MessageStatus.FAILED).count() == 2, timeout=45)
    assert len(refusing.requests) == len(failing.requests) == 4  # the first attempt and 3 retries each
    time.sleep(1.0)  # a duplicate would be raised right after the last outcome is recorded

    waiting = wait_until(lambda: list(client.events.list(include_actioned=False)) or None)
    assert sorted(e.event_name for e in waiting) == [
        "error.integration.authentication",
        "error.integration.perform",
    ]
    by_name = {e.event_name: e for e in waiting}
    refused = by_name["error.integration.authentication"].m3ter_event["eventData"]
    failed = by_name["error.integration.perform"].m3ter_event["eventData"]
    assert refused["destinationId"] == refusing_id and refused["attempts"] == 1  # known at the first attempt
    assert refused["lastAttempt"]["statusCode"] == 401
    assert failed["destinationId"] == failing_id and failed["attempts"] == 4  # only after the last retry
    assert failed["lastAttempt"]["statusCode"] == 500
    for error in waiting:
        cause = Event.objects.get(token=error.id).caused_by
        assert cause.event_type_name in ("notification.refused", "notification.failing")

    for error in waiting:
        actioned = client.post(f"/organizations/{acme.token}/events/{error.id}/action", cast_to=EventResponse)
        assert actioned.to_dict()["actioned"] is True
    assert list(client.events.list(include_actioned=False)) == []
    assert {e.id for e in client.events.list(include_actioned=True)} >= {e.id for e in waiting}
    by_destination = {
        c.destination_id: client.integration_configurations.retrieve(c.id).status
        for c in client.integration_configurations.list()
    }
    assert by_destination == {refusing_id: "AUTH_FAILED", failing_id: "ERROR"}
