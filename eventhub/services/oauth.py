"""OAuth client-credentials tokens for the billing dialect: signed, stateless, no row per call."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from eventhub.models import ApiKey
from eventhub.services.accounts import authenticate_key

_SALT = "eventhub.oauth.access-token"


def issue_access_token(key_id: str, raw_key: str) -> dict | None:
    """Exchange `key_id:api_key` for a bearer token; None when the pair does not match a live key."""
    key = authenticate_key(raw_key)
    if key is None or key.key_id != key_id:
        return None
    token = signing.dumps({"k": key.key_id, "d": key.digest[:16]}, salt=_SALT, compress=True)
    return {"access_token": token, "expires_in": settings.EVENTHUB_OAUTH_TOKEN_TTL, "token_type": "bearer"}


def key_for_access_token(token: str) -> ApiKey | None:
    """The live key behind a token, read on every use: a token dies with its key's revocation or its
    account's deactivation, not at the end of its TTL."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.EVENTHUB_OAUTH_TOKEN_TTL)
    except signing.BadSignature:
        return None
    key = (
        ApiKey.objects.select_related("account").filter(key_id=data.get("k"), revoked_at__isnull=True).first()
    )
    if key is None or not key.digest.startswith(data.get("d", "-")):
        return None
    if key.account is not None and not key.account.is_active:
        return None
    return key
