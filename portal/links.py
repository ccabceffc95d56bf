"""Minting and redeeming portal links. A link is a TimestampSigner-signed nonce; the PortalLink row holds
the account, scope and expiry, and redeeming it is one conditional UPDATE (single use across processes)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from eventhub.errors import InvalidInput
from eventhub.models import Account, ApiKey, EventCategory
from eventhub.selectors import event_types_named
from eventhub.services.audit import record_action
from portal.models import PortalLink

SALT = "eventhub.portal.link"
MAX_SCOPE_NAMES = 500


class LinkRefused(Exception):
    """A link that starts no session; `reason` is what the customer is told (expired, used, invalid)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MintedLink:
    token: str
    expires_at: datetime
    link: PortalLink


def _names(value: Any, field: str, allowed: set[str] | None = None) -> list[str]:
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) for v in value)
        or len(value) > MAX_SCOPE_NAMES
    ):
        raise InvalidInput(
            f"{field} must be a list of names.",
            {field: [f"Must be a list of at most {MAX_SCOPE_NAMES} strings."]},
        )
    names = list(dict.fromkeys(value))
    unknown = [n for n in names if allowed is not None and n not in allowed]
    if unknown:
        raise InvalidInput(
            f"Unknown {field[:-1]} {unknown[0][:128]!r}.",
            {field: [f"Unknown: {n[:128]!r}." for n in unknown[:10]]},
        )
    return names


def _lifetime(value: Any) -> timedelta:
    if value is None:
        return timedelta(seconds=settings.EVENTHUB_PORTAL_LINK_SECONDS)
    maximum = settings.EVENTHUB_PORTAL_LINK_MAX_SECONDS
    if isinstance(value, bool) or not isinstance(value, int) or not 60 <= value <= maximum:
        raise InvalidInput("expires_in is invalid.", {"expires_in": [f"Seconds, between 60 and {maximum}."]})
    return timedelta(seconds=value)


def mint_link(
    account: Account,
    *,
    api_key: ApiKey,
    read_only: Any = False,
    event_types: Any = None,
    categories: Any = None,
    expires_in: Any = None,
) -> MintedLink:
    """A single-use link for `account`, scoped to `event_types` and/or `categories` (neither: the whole
    catalog). Audited as `api_key`. Expired links of the past day are cleaned up on the way."""
    if not isinstance(read_only, bool):
        raise InvalidInput("read_only must be a boolean.", {"read_only": ["Must be true or false."]})
    names = _names(event_types, "event_types")
    known = set(event_types_named(account, names))
    names = _names(names, "event_types", known)
    cats = _names(categories, "categories", set(EventCategory.values))
    now = timezone.now()
    with transaction.atomic():
        PortalLink.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
        link = PortalLink.objects.create(
            nonce=secrets.token_urlsafe(24),
            account=account,
            api_key=api_key,
            read_only=read_only,
            event_types=names,
            categories=cats,
            expires_at=now + _lifetime(expires_in),
        )
        record_action(
            api_key,
            "portal.link_created",
            target=account,
            account=account,
            read_only=read_only,
            event_types=names,
            categories=cats,
            expires_at=link.expires_at.isoformat(),
        )
    token = signing.TimestampSigner(salt=SALT).sign(link.nonce)
    return MintedLink(token=token, expires_at=link.expires_at, link=link)


def redeem_link(token: str) -> PortalLink:
    """The link's row, marked used; LinkRefused when the token is tampered, unknown, expired or used."""
    try:
        nonce = signing.TimestampSigner(salt=SALT).unsign(
            token, max_age=settings.EVENTHUB_PORTAL_LINK_MAX_SECONDS
        )
    except signing.SignatureExpired:
        raise LinkRefused("expired") from None
    except signing.BadSignature:
        raise LinkRefused("invalid") from None
    now = timezone.now()
    if (
        PortalLink.objects.filter(nonce=nonce, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        != 1
    ):
        link = PortalLink.objects.filter(nonce=nonce).only("used_at", "expires_at").first()
        if link is None:
            raise LinkRefused("invalid")
        raise LinkRefused("used" if link.used_at else "expired")
    link = PortalLink.objects.select_related("account", "api_key").get(nonce=nonce)
    if not link.account.is_active or link.api_key.revoked_at is not None:
        raise LinkRefused("invalid")
    return link
