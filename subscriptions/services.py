"""Subscription workflows: create, change, disable/enable, delete, and secret rotation with a grace period."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from eventhub.errors import InvalidInput
from eventhub.models import Account
from eventhub.selectors import event_types_named
from eventhub.services.audit import Actor, record_action
from subscriptions.models import Dialect, DisabledReason, EventSubscription
from subscriptions.secrets import decrypt_secret, encrypt_secret, new_signing_secret
from subscriptions.ssrf import check_endpoint_url

MAX_EVENT_TYPES = 500
MAX_DESCRIPTION = 2000


def _check_event_types(account: Account, event_types: Any) -> list[str]:
    """Names of global types or the account's own; another account's notification./scheduled. types
    are unknown here, exactly as if they did not exist."""
    if event_types is None:
        return []
    if not isinstance(event_types, list) or not all(isinstance(t, str) for t in event_types):
        raise InvalidInput("event_types must be a list of event type names.", {"event_types": ["Must be a list of strings."]})
    if len(event_types) > MAX_EVENT_TYPES:
        raise InvalidInput("Too many event_types.", {"event_types": [f"At most {MAX_EVENT_TYPES}."]})
    names = list(dict.fromkeys(event_types))
    known = set(event_types_named(account, names))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidInput(
            f"Unknown event type {unknown[0][:128]!r}.",
            {"event_types": [f"Unknown event type {n[:128]!r}." for n in unknown[:10]]},
        )
    return names


def _check_description(description: Any) -> str:
    if description is None:
        return ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise InvalidInput("description is invalid.", {"description": [f"Must be a string of at most {MAX_DESCRIPTION} characters."]})
    return description


def create_subscription(
    account: Account,
    *,
    url: Any = None,
    description: str | None = "",
    event_types: list[str] | None = None,
    disabled: bool = False,
    dialect: str = Dialect.CARD_ISSUING,
    actor: Actor = None,
    **destination_fields: Any,
) -> EventSubscription:
    """A new endpoint with a fresh signing secret; `disabled=True` records a manual disable. Audited for `actor`."""
    subscription = EventSubscription(
        account=account,
        url=check_endpoint_url(url),
        description=_check_description(description),
        event_types=_check_event_types(account, event_types),
        secret_encrypted=encrypt_secret(new_signing_secret()),
        dialect=dialect,
        **destination_fields,
    )
    _apply_disabled(subscription, bool(disabled), DisabledReason.MANUAL)
    with transaction.atomic():
        subscription.save()
        record_action(actor, "subscription.created", target=subscription, url=subscription.url)
    return subscription


def update_subscription(subscription: EventSubscription, changes: dict[str, Any], *, actor: Actor = None) -> EventSubscription:
    """Apply the given fields only (PATCH semantics); re-enabling clears the disable reason. Audited for `actor`
    (the field names only: credentials are secrets)."""
    if "url" in changes:
        subscription.url = check_endpoint_url(changes["url"])
    if "description" in changes:
        subscription.description = _check_description(changes["description"])
    if "event_types" in changes:
        subscription.event_types = _check_event_types(subscription.account, changes["event_types"])
    for key in ("name", "code", "credentials"):
        if key in changes:
            setattr(subscription, key, changes[key])
    if "disabled" in changes and changes["disabled"] is not None:
        if not isinstance(changes["disabled"], bool):
            raise InvalidInput("disabled must be a boolean.", {"disabled": ["Must be true or false."]})
        _apply_disabled(subscription, changes["disabled"], DisabledReason.MANUAL)
    subscription.version += 1
    with transaction.atomic():
        subscription.save()
        record_action(actor, "subscription.updated", target=subscription, fields=sorted(changes))
    return subscription


def _apply_disabled(subscription: EventSubscription, disabled: bool, reason: str) -> None:
    if disabled and not subscription.disabled:
        subscription.disabled, subscription.disabled_reason, subscription.disabled_at = True, reason, timezone.now()
    elif not disabled and subscription.disabled:
        subscription.disabled, subscription.disabled_reason, subscription.disabled_at = False, "", None


@transaction.atomic
def set_disabled(
    subscription: EventSubscription, disabled: bool, reason: str = DisabledReason.MANUAL, *, actor: Actor = None
) -> EventSubscription:
    _apply_disabled(subscription, disabled, reason)
    subscription.save(update_fields=["disabled", "disabled_reason", "disabled_at", "updated"])
    record_action(actor, "subscription.disabled" if disabled else "subscription.enabled", target=subscription)
    return subscription


@transaction.atomic
def delete_subscription(subscription: EventSubscription, *, actor: Actor = None) -> None:
    record_action(actor, "subscription.deleted", target=subscription, url=subscription.url)
    subscription.delete()


def current_secret(subscription: EventSubscription, *, actor: Actor = None) -> str:
    """The signing secret in clear; revealing it to `actor` is audited (the secret itself never is)."""
    record_action(actor, "subscription.secret_revealed", target=subscription)
    return decrypt_secret(subscription.secret_encrypted)


def signing_secrets(subscription: EventSubscription, now=None) -> list[str]:
    """Secrets that sign a delivery now: the current one, then the previous one during its grace period."""
    secrets = [decrypt_secret(subscription.secret_encrypted)]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret_encrypted and expires and expires > (now or timezone.now()):
        secrets.append(decrypt_secret(subscription.previous_secret_encrypted))
    return secrets


@transaction.atomic
def rotate_secret(subscription: EventSubscription, *, actor: Actor = None) -> EventSubscription:
    """A new current secret; the old one keeps signing for EVENTHUB_SECRET_ROTATION_GRACE_HOURS."""
    locked = EventSubscription.objects.select_for_update().get(pk=subscription.pk)
    locked.previous_secret_encrypted = locked.secret_encrypted
    locked.previous_secret_expires_at = timezone.now() + timedelta(hours=settings.EVENTHUB_SECRET_ROTATION_GRACE_HOURS)
    locked.secret_encrypted = encrypt_secret(new_signing_secret())
    locked.save(update_fields=["secret_encrypted", "previous_secret_encrypted", "previous_secret_expires_at", "updated"])
    record_action(
        actor, "subscription.secret_rotated", target=locked,
        previous_secret_expires_at=locked.previous_secret_expires_at.isoformat(),
    )  # fmt: skip
    return locked
