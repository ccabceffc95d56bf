"""Signing a delivery: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) always,
plus, for a billing webhook destination, the destination's own `M3TER_SIGNED_REQUEST` credentials.

During a secret rotation's grace period every secret signs, newest first, joined by exactly one space
(`v1,<new> v1,<old>`): the verifiers' parser fails on anything else. The destination signature scheme
lives in eventhub.verify, shared with receivers, so sender and verifier cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from standardwebhooks import Webhook

from eventhub.verify import destination_signature_headers
from subscriptions.credentials import DestinationCredentials, destination_credentials
from subscriptions.models import EventSubscription
from subscriptions.services import signing_secrets


@dataclass(frozen=True)
class SigningKeys:
    """Everything that signs one subscription's deliveries: its `whsec_` secrets and, for a billing
    destination, its own apiKey + secret."""

    secrets: list[str]
    credentials: DestinationCredentials | None = field(default=None)


def signing_keys(subscription: EventSubscription, now: datetime | None = None) -> SigningKeys:
    """Loaded once per claim; raises SecretUndecryptable when a stored secret cannot be decrypted."""
    return SigningKeys(signing_secrets(subscription, now), destination_credentials(subscription))


def webhook_body(payload: dict) -> bytes:
    """The bytes sent and signed: the event payload (it carries `event_type`) as compact JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature_header(msg_id: str, timestamp: int, body: bytes, secrets: list[str]) -> str:
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    text = body.decode()
    return " ".join(Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=text) for secret in secrets)


def signed_headers(
    msg_id: str, timestamp: int, body: bytes, keys: SigningKeys | list[str], *, url: str = ""
) -> dict[str, str]:
    """Headers for one attempt to `url`; `msg_id` is the message token, stable across retries and resends."""
    if isinstance(keys, list):
        keys = SigningKeys(keys)
    if not keys.secrets:
        raise ValueError("a delivery needs at least one signing secret")
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": signature_header(msg_id, int(timestamp), body, keys.secrets),
    }
    if keys.credentials is not None:
        headers.update(
            destination_signature_headers(
                url=url,
                api_key=keys.credentials.api_key,
                secret=keys.credentials.secret,
                timestamp=timestamp,
                body=body,
            )
        )
    return headers
