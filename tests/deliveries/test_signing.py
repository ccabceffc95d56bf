"""What a receiver gets: the payload as the body, Standard Webhooks headers that verify with the
standardwebhooks, svix and lithic libraries, both secrets signing during a rotation's grace period."""

from __future__ import annotations

import json

import lithic
import pytest
from standardwebhooks import Webhook as StdWebhook
from svix.webhooks import Webhook as SvixWebhook

from deliveries.models import Message
from subscriptions.services import current_secret, rotate_secret, signing_secrets
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db


def _verify_everywhere(secret: str, body: bytes, headers: dict[str, str]) -> dict:
    assert StdWebhook(secret).verify(body.decode(), headers) == json.loads(body)
    SvixWebhook(secret).verify(body.decode(), headers)  # raises on a bad signature
    return lithic.Lithic(api_key="x", webhook_secret=secret).webhooks.unwrap(body.decode(), headers=headers)


def test_delivery_body_is_the_payload_and_signature_verifies_with_three_libraries(
    acme, event_types, receiver
):
    subscription = subscribe(acme.account, receiver.url)
    event = send_event(acme.account, card_token="card_42")
    assert deliver() == 1
    [got] = receiver.wait_for(1)
    assert json.loads(got.body) == {"card_token": "card_42", "event_type": "card.created"}
    assert got.headers["content-type"] == "application/json"
    message = Message.objects.get(event=event, subscription=subscription)
    assert got.headers["webhook-id"] == message.token
    assert got.headers["webhook-timestamp"].isdigit()
    assert got.headers["webhook-signature"].startswith("v1,") and " " not in got.headers["webhook-signature"]
    unwrapped = _verify_everywhere(current_secret(subscription), got.body, got.headers)
    assert unwrapped["card_token"] == "card_42"


def test_after_rotation_both_secrets_sign_and_each_verifies(acme, event_types, receiver):
    subscription = subscribe(acme.account, receiver.url)
    old_secret = current_secret(subscription)
    subscription = rotate_secret(subscription)
    new_secret = current_secret(subscription)
    assert signing_secrets(subscription) == [new_secret, old_secret]
    send_event(acme.account)
    deliver()
    [got] = receiver.wait_for(1)
    signature = got.headers["webhook-signature"]
    new_part, old_part = signature.split(" ")
    assert signature == f"{new_part} {old_part}" and new_part.startswith("v1,") and old_part.startswith("v1,")
    _verify_everywhere(new_secret, got.body, got.headers)
    _verify_everywhere(old_secret, got.body, got.headers)


def test_a_retry_keeps_the_webhook_id_and_signs_afresh(acme, event_types, receiver, delivery_settings):
    from datetime import timedelta

    from django.utils import timezone

    subscribe(acme.account, receiver.url)
    receiver.behaviour.statuses = [500]
    send_event(acme.account)
    now = timezone.now()
    deliver(now=now)
    deliver(now=now + timedelta(seconds=10))
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
