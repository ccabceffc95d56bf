"""A webhook destination's own credentials (`M3TER_SIGNED_REQUEST`: apiKey + secret), in clear for signing.

The secret is stored encrypted in `EventSubscription.credentials["secretEncrypted"]` and never shown by the
API; only the delivery signer reads it, at send time, so a `PUT` of new credentials signs the very next
attempt (retries of older messages included) with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from subscriptions.integrations import SIGNED_REQUEST
from subscriptions.models import Dialect, EventSubscription
from subscriptions.secrets import decrypt_secret


@dataclass(frozen=True)
class DestinationCredentials:
    api_key: str
    secret: str


def destination_credentials(subscription: EventSubscription) -> DestinationCredentials | None:
    """The destination's apiKey and secret, or None when the subscription has none (card-issuing
    subscriptions; destinations stored before credentials were kept). Raises SecretUndecryptable."""
    stored = subscription.credentials or {}
    if subscription.dialect != Dialect.BILLING or stored.get("type") != SIGNED_REQUEST:
        return None
    if not stored.get("apiKey") or not stored.get("secretEncrypted"):
        return None
    return DestinationCredentials(
        stored["apiKey"], decrypt_secret(stored["secretEncrypted"], "destination secret")
    )
