"""End to end: the API, a real Celery worker, real receivers, the unmodified lithic SDK."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import lithic
import pytest
import requests

from deliveries.models import Message, MessageStatus
from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def publish(live_server, key: str, event_type: str, payload: dict) -> dict:
    response = requests.post(
        f"{live_server.url}/v1/events",
        json={"event_type": event_type, "payload": payload},
        headers={"Authorization": key},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def attempts(client: lithic.Lithic, event_token: str, status: str | None = None) -> list:
    kwargs = {"status": status} if status else {}
    return list(client.events.list_attempts(event_token, **kwargs))


def test_a_published_event_reaches_the_receiver_signed(hub_worker, live_server, acme, event_types, receiver):
    client = lithic.Lithic(api_key=acme.key, base_url=live_server.url, _strict_response_validation=True)
    subscription = client.events.subscriptions.create(url=receiver.url)
    event = publish(live_server, acme.key, "card.created", {"card_token": "card_e2e"})
    [got] = receiver.wait_for(1, timeout=20)
    secret = client.events.subscriptions.retrieve_secret(subscription.token).secret
    assert client.webhooks.unwrap(got.body.decode(), headers=got.headers, secret=secret) == {
        "card_token": "card_e2e",
        "event_type": "card.created",
    }
    [attempt] = wait_until(lambda: attempts(client, event["token"]), message="the attempt to be recorded")
    assert attempt.status == "SUCCESS" and attempt.event_subscription_token == subscription.token


def test_every_lithic_sdk_method_against_the_hub(hub_worker, live_server, acme, event_types, receiver):
    client = lithic.Lithic(api_key=acme.key, base_url=live_server.url, _strict_response_validation=True)
    subs = client.events.subscriptions

    subscription = subs.create(url=receiver.url, description="e2e", event_types=["card.created"])
    assert subs.retrieve(subscription.token).description == "e2e"
    updated = subs.update(
        subscription.token, url=receiver.url, description="both", event_types=["card.created", "card.updated"]
    )
    assert updated.event_types == ["card.created", "card.updated"]
    assert subscription.token in [s.token for s in subs.list()]
    old_secret = subs.retrieve_secret(subscription.token).secret

    event = publish(live_server, acme.key, "card.created", {"card_token": "c1"})
    [first] = receiver.wait_for(1, timeout=20)
    client.webhooks.unwrap(first.body.decode(), headers=first.headers, secret=old_secret)
    assert client.events.retrieve(event["token"]).event_type == "card.created"
    assert event["token"] in [e.token for e in client.events.list(event_types=["card.created"])]
    wait_until(lambda: attempts(client, event["token"], "SUCCESS"), message="a SUCCESS attempt")
    assert [a.event_token for a in subs.list_attempts(subscription.token)] == [event["token"]]

    # Resend, by both SDK spellings: the same webhook-id each time. (A resend while the message is still
    # waiting to go out coalesces with it, so the second waits for the first's delivery.)
    client.events.resend(event["token"], event_subscription_token=subscription.token)
    receiver.wait_for(2, timeout=20)
    client.events.event_subscriptions.resend(subscription.token, event_token=event["token"])
    resent = receiver.wait_for(3, timeout=20)
    assert {r.headers["webhook-id"] for r in resent} == {first.headers["webhook-id"]}

    # Rotation: the example is signed with the new secret and, for the grace period, the old one.
    subs.rotate_secret(subscription.token)
    new_secret = subs.retrieve_secret(subscription.token).secret
    assert new_secret != old_secret
    subs.send_simulated_example(subscription.token, event_type="card.updated")
    example = receiver.wait_for(4, timeout=20)[3]
    assert json.loads(example.body) == {"card_token": "c1", "event_type": "card.updated"}
    for secret in (new_secret, old_secret):
        client.webhooks.unwrap(example.body.decode(), headers=example.headers, secret=secret)

    # Recover: a message that failed through the whole (short) schedule is sent again.
    receiver.behaviour.default_status = 500
    failing = publish(live_server, acme.key, "card.created", {"card_token": "c2"})
    wait_until(lambda: len(attempts(client, failing["token"], "FAILED")) == 4, message="four failed attempts")
    wait_until(
        lambda: Message.objects.get(event__token=failing["token"]).status == MessageStatus.FAILED,
        message="FAILED",
    )
    receiver.behaviour.default_status = 200
    begin = datetime.now(UTC) - timedelta(hours=1)
    subs.recover(subscription.token, begin=begin, end=datetime.now(UTC) + timedelta(minutes=1))
    wait_until(
        lambda: attempts(client, failing["token"], "SUCCESS"), message="the recovered message to succeed"
    )

    # Replay missing: an event published while the subscription was disabled is delivered afterwards.
    subs.update(subscription.token, url=receiver.url, disabled=True)
    missed = publish(live_server, acme.key, "card.updated", {"card_token": "c3"})
    subs.update(subscription.token, url=receiver.url, disabled=False)
    assert not Message.objects.filter(event__token=missed["token"]).exists()
    subs.replay_missing(subscription.token, begin=begin, end=datetime.now(UTC) + timedelta(minutes=1))
    wait_until(lambda: attempts(client, missed["token"], "SUCCESS"), message="the replayed message")
    assert any(json.loads(r.body).get("card_token") == "c3" for r in receiver.requests)

    subs.delete(subscription.token)
    with pytest.raises(lithic.NotFoundError):
        subs.retrieve(subscription.token)
