"""Receiver-side verification of the hub's webhook deliveries, with no Django (copy it or import it).

Billing-dialect webhook destinations are signed with the credentials the user gave the destination
(`M3TER_SIGNED_REQUEST`: `apiKey` + `secret`), so a receiver that holds only those two strings can check
every delivery. The scheme (headers, canonical string, encoding) is written down in docs/webhooks.md and
docs/decisions.md; the hub's sender builds its headers with `destination_signature_headers` below, so the
two sides cannot drift apart. Every delivery also carries the Standard Webhooks headers, checked by
`verify_standard_webhook` with the subscription's `whsec_` secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

API_KEY_HEADER = "X-m3ter-apikey"
TIMESTAMP_HEADER = "X-m3ter-timestamp"
SIGNATURE_HEADER = "X-m3ter-signature"
TOLERANCE_SECONDS = 300
METHOD = "POST"


class SignatureError(ValueError):
    """The request is not a delivery signed with the given credentials (or it is too old or too new)."""


def canonical_string(*, url: str, api_key: str, timestamp: str, body: bytes) -> bytes:
    """What is signed: method, destination URL (exactly as configured), apiKey, timestamp and the raw body,
    joined by newlines (none of the first four can contain one; the body comes last, as sent)."""
    head = "\n".join((METHOD, url, api_key, timestamp, ""))
    return head.encode() + body


def destination_signature(*, url: str, api_key: str, secret: str, timestamp: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the canonical string, keyed with the secret's UTF-8 bytes."""
    message = canonical_string(url=url, api_key=api_key, timestamp=timestamp, body=body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def destination_signature_headers(
    *, url: str, api_key: str, secret: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The headers the hub adds to a delivery to a destination holding `api_key` + `secret`."""
    stamp = str(int(timestamp))
    return {
        API_KEY_HEADER: api_key,
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: destination_signature(
            url=url, api_key=api_key, secret=secret, timestamp=stamp, body=body
        ),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    raise SignatureError(f"missing header {name}")


def verify_destination_request(
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    url: str,
    api_key: str,
    secret: str,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a delivery to the destination configured with `url`, `api_key` and `secret`; return the parsed
    JSON body. Raises SignatureError when a header is missing, names another key, the timestamp is more than
    `tolerance` seconds away from `now`, or the signature does not match the raw body."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    if not api_key or not secret:
        raise SignatureError("no credentials to verify with")
    if not hmac.compare_digest(_header(headers, API_KEY_HEADER), api_key):
        raise SignatureError("signed with another apiKey")
    stamp = _header(headers, TIMESTAMP_HEADER)
    if not stamp.isdigit():
        raise SignatureError("timestamp is not integer Unix seconds")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        raise SignatureError("timestamp outside the tolerance")
    expected = destination_signature(url=url, api_key=api_key, secret=secret, timestamp=stamp, body=raw)
    if not hmac.compare_digest(_header(headers, SIGNATURE_HEADER).strip().lower(), expected):
        raise SignatureError("signature mismatch")
    return json.loads(raw)


def verify_standard_webhook(body: bytes | str, headers: Mapping[str, str], *, secret: str) -> dict[str, Any]:
    """The Standard Webhooks check (`webhook-id/-timestamp/-signature`, `whsec_` secret) every delivery
    also passes."""
    try:
        return Webhook(secret).verify(body.decode() if isinstance(body, bytes) else body, dict(headers))
    except WebhookVerificationError as exc:
        raise SignatureError(str(exc)) from exc
