"""Billing webhook destinations are signed with the credentials the user gave them (`M3TER_SIGNED_REQUEST`
apiKey + secret): a receiver holding only those verifies every delivery with eventhub.verify, before and
after the credentials change, and the Standard Webhooks headers are still there beside them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from eventhub.services.rules import create_rule
from eventhub.verify import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    verify_destination_request,
    verify_standard_webhook,
)
from subscriptions.integrations import (
    create_integration,
    create_webhook_destination,
    update_webhook_destination,
)
from subscriptions.services import current_secret
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db
FIRST = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "key-one", "secret": "secret-one"}
SECOND = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "key-two", "secret": "secret-two"}


def _destination(account, url):
    destination = create_webhook_destination(account, url=url, name="Hook", credentials=FIRST)
    rule = create_rule(
        account, name="Any card", code="cards", event_name="card.created", always_fire_event=True
    )
    create_integration(
        account,
        destination="WEBHOOK",
        entity_type="Notification",
        entity_id=rule.token,
        destination_id=destination.token,
    )
    destination.refresh_from_db()
    return destination


def _verifies(got, credentials, url) -> dict:
    return verify_destination_request(
        got.body, got.headers, url=url, api_key=credentials["apiKey"], secret=credentials["secret"]
    )


def test_a_destination_delivery_verifies_with_only_the_destinations_api_key_and_secret(
    acme, event_types, receiver
):
    destination = _destination(acme.account, receiver.url)
    send_event(acme.account, card_token="c7")
    assert deliver() == 1
    [got] = receiver.wait_for(1)
    body = _verifies(got, FIRST, receiver.url)
    assert body["event_type"] == "notification.cards"
    assert got.headers["x-m3ter-apikey"] == "key-one"
    # The Standard Webhooks headers stay beside it, signed with the subscription's whsec_ secret.
    assert verify_standard_webhook(got.body, got.headers, secret=current_secret(destination)) == json.loads(
        got.body
    )
    with pytest.raises(SignatureError):
        _verifies(got, {**FIRST, "secret": "not-the-secret"}, receiver.url)
    with pytest.raises(SignatureError):
        _verifies(got, FIRST, receiver.url + "/elsewhere")  # bound to the destination's URL
    with pytest.raises(SignatureError):
        verify_destination_request(
            got.body + b" ", got.headers, url=receiver.url, api_key="key-one", secret="secret-one"
        )


def test_after_credentials_change_new_deliveries_and_retries_verify_with_the_new_ones(
    acme, event_types, receiver
):
    destination = _destination(acme.account, receiver.url)
    receiver.behaviour.statuses = [500]
    send_event(acme.account, card_token="before")
    assert deliver() == 1
    [failed] = receiver.wait_for(1)
    _verifies(failed, FIRST, receiver.url)

    values = {"url": receiver.url, "name": "Hook", "description": "", "credentials": SECOND}
    update_webhook_destination(destination, values, version=destination.version)
    assert deliver(now=timezone.now() + timedelta(seconds=30)) == 1  # the retry of the earlier message
    send_event(acme.account, card_token="after")
    assert deliver() == 1
    retried, fresh = receiver.wait_for(3)[1:]
    for got in (retried, fresh):
        _verifies(got, SECOND, receiver.url)
        with pytest.raises(SignatureError):
            _verifies(got, FIRST, receiver.url)
    assert b'"before"' in retried.body and b'"after"' in fresh.body


def test_a_stale_or_future_timestamp_is_refused(acme, event_types, receiver):
    _destination(acme.account, receiver.url)
    send_event(acme.account)
    deliver()
    [got] = receiver.wait_for(1)
    sent_at = int(got.headers[TIMESTAMP_HEADER.lower()])
    _verifies(got, FIRST, receiver.url)
    for now in (sent_at + 301, sent_at - 301):
        with pytest.raises(SignatureError):
            verify_destination_request(
                got.body, got.headers, url=receiver.url, api_key="key-one", secret="secret-one", now=now
            )


def test_card_issuing_subscriptions_carry_no_destination_signature(acme, event_types, receiver):
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    deliver()
    [got] = receiver.wait_for(1)
    assert SIGNATURE_HEADER.lower() not in {k.lower() for k in got.headers}
    assert "webhook-signature" in got.headers


def test_the_documented_standard_library_check_verifies_a_real_delivery(acme, event_types, receiver):
    """docs/webhooks.md's language-neutral recipe, written out here, agrees with what the hub sends."""
    _destination(acme.account, receiver.url)
    send_event(acme.account)
    deliver()
    [got] = receiver.wait_for(1)
    stamp = got.headers["x-m3ter-timestamp"]
    signed = f"POST\n{receiver.url}\nkey-one\n{stamp}\n".encode() + got.body
    expected = hmac.new(b"secret-one", signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-m3ter-signature"], expected)
    assert abs(time.time() - int(stamp)) < 60


def test_empty_credentials_never_verify(acme, event_types, receiver):
    _destination(acme.account, receiver.url)
    send_event(acme.account)
    deliver()
    [got] = receiver.wait_for(1)
    with pytest.raises(SignatureError):
        verify_destination_request(got.body, got.headers, url=receiver.url, api_key="key-one", secret="")
