"""Standard Webhooks signing (`webhook-id`, `webhook-timestamp`, `webhook-signature`).

During a secret rotation's grace period every secret signs, newest first, joined by exactly one space
(`v1,<new> v1,<old>`): the verifiers' parser fails on anything else.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

from standardwebhooks import Webhook


def webhook_body(payload: dict) -> bytes:
    """The bytes sent and signed: the event payload (it carries `event_type`) as compact JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature_header(msg_id: str, timestamp: int, body: bytes, secrets: list[str]) -> str:
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    text = body.decode()
    return " ".join(Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=text) for secret in secrets)


def signed_headers(msg_id: str, timestamp: int, body: bytes, secrets: list[str]) -> dict[str, str]:
    """Headers for one attempt; `msg_id` is the message token, stable across retries and resends."""
    if not secrets:
        raise ValueError("a delivery needs at least one signing secret")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": signature_header(msg_id, int(timestamp), body, secrets),
    }
