"""Accounts and API keys: keys are shown once and stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.utils import timezone

from eventhub import hotcache
from eventhub.models import Account, ApiKey
from eventhub.services.audit import Actor, record_action, record_audit

M = TypeVar("M", bound=Model)

KEY_PREFIX = "ehk_"
_LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str


def key_digest(raw_key: str) -> str:
    """HMAC-SHA256 keyed with a server pepper: a leaked table alone does not allow offline guessing."""
    pepper = settings.EVENTHUB_API_KEY_PEPPER.encode()
    return hmac.new(pepper, raw_key.encode(), hashlib.sha256).hexdigest()


def create_account(name: str, *, retention_days: int | None = None) -> Account:
    account = Account(name=name)
    if retention_days is not None:
        account.retention_days = retention_days
    account.save()
    return account


def issue_api_key(
    account: Account | None, *, name: str = "", is_staff: bool = False, actor: Actor = None
) -> IssuedKey:
    """Create a key; the raw value is returned here once and never stored. Audited for `actor`."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            account=account, name=name, is_staff=is_staff, prefix=raw[:12], digest=key_digest(raw)
        )
        record_action(actor, "api_key.issued", target=key, account=account, key_id=key.key_id)
    return IssuedKey(api_key=key, raw_key=raw)


@transaction.atomic
def create_account_with_key(name: str) -> tuple[Account, IssuedKey]:
    account = create_account(name)
    return account, issue_api_key(account, name="default")


def authenticate_key(raw_key: str) -> ApiKey | None:
    """Look a key up by its digest; revoked keys fail at once. Compared in constant time."""
    if not raw_key or len(raw_key) > 200:
        return None
    digest = key_digest(raw_key)
    # Memoised per process for at most 1 s (eventhub/hotcache.py): revocation reaches every process within it.
    cached = hotcache.get(
        ("api_key", digest), lambda: ApiKey.objects.select_related("account").filter(digest=digest).first()
    )
    key = _private_copy(cached)
    if key is None or not hmac.compare_digest(key.digest, digest):
        return None
    if key.revoked_at is not None or (key.account is not None and not key.account.is_active):
        return None
    _touch_last_used(key)
    cached.last_used_at = key.last_used_at  # the memo's copy too: one write a minute, not one per request
    return key


def _private_copy(key: ApiKey | None) -> ApiKey | None:
    """The memo's instances are shared by a process's threads; a request gets its own key and account."""
    if key is None:
        return None
    mine = _shallow_copy(key)
    if key.account is not None:
        mine.account = _shallow_copy(key.account)
    return mine


def _shallow_copy(instance: M) -> M:
    """A new instance with the same field values and its own state (db, adding, related-object cache):
    what copy.copy gives, without its trip through pickling's __reduce_ex__/__setstate__ (~2 % of a
    publish's Python CPU)."""
    mine = Model.__new__(type(instance))
    mine.__dict__.update(instance.__dict__)
    mine._state = ModelState()
    mine._state.db, mine._state.adding = instance._state.db, instance._state.adding
    mine._state.fields_cache = dict(instance._state.fields_cache)
    return mine


def _touch_last_used(key: ApiKey) -> None:
    """Record use at most once a minute per key, so authentication does not write on every request."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def revoke_api_key(key: ApiKey, *, actor: Actor = None) -> ApiKey:
    """Revoke at once: the raw key and every OAuth token issued for it are refused from now on.
    Audited for `actor` (once: revoking a revoked key changes nothing)."""
    if key.revoked_at is None:
        with transaction.atomic():
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            record_action(actor, "api_key.revoked", target=key, account=key.account, key_id=key.key_id)
    return key


@transaction.atomic
def deactivate_account(account: Account, *, user=None, actor: ApiKey | None = None) -> Account:
    """Deactivate at once: the account's keys and the OAuth tokens issued for them are refused from now on."""
    if account.is_active:
        account.is_active = False
        account.save(update_fields=["is_active"])
        record_audit("account.deactivated", user=user, api_key=actor, account=account, target=account)
    return account


hotcache.clear_on_change(Account, ApiKey)
