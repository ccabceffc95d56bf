"""Subscription workflows: create, change, disable/enable, delete, and secret rotation with a grace period.

Each state change has exactly one function here, called by the API, the billing dialect, the admin and
the delivery engine alike; it writes the audit row (for `actor`) and the side effects, so no interface
can change a subscription with different consequences than another."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from eventhub.models import Account
from eventhub.services.audit import Actor, record_action, stamp
from eventhub.services.catalog import ensure_event_type
from eventhub.services.ingest import EventSpec, record_events
from subscriptions import validators
from subscriptions.models import Dialect, DisabledReason, EventSubscription
from subscriptions.secrets import decrypt_secret, encrypt_secret, new_signing_secret

DISABLED_EVENT_TYPE = "event_subscription.disabled"


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
        url=validators.endpoint_url(url),
        description=validators.description(description),
        event_types=validators.event_types(account, event_types),
        secret_encrypted=encrypt_secret(new_signing_secret()),
        dialect=dialect,
        **destination_fields,
    )
    _apply_disabled(subscription, bool(disabled), DisabledReason.MANUAL)
    stamp(subscription, actor, created=True)
    with transaction.atomic():
        subscription.save()
        record_action(actor, "subscription.created", target=subscription, url=subscription.url)
    return subscription


def update_subscription(
    subscription: EventSubscription, changes: dict[str, Any], *, actor: Actor = None
) -> EventSubscription:
    """Apply the given fields only (PATCH semantics). A change of `disabled` goes through set_disabled, with
    its audit row and event. Audited for `actor` (the field names only: credentials are secrets)."""
    if "url" in changes:
        subscription.url = validators.endpoint_url(changes["url"])
    if "description" in changes:
        subscription.description = validators.description(changes["description"])
    if "event_types" in changes:
        subscription.event_types = validators.event_types(subscription.account, changes["event_types"])
    for key in ("name", "code", "credentials"):
        if key in changes:
            setattr(subscription, key, changes[key])
    disabled = changes.get("disabled")
    if disabled is not None:
        validators.disabled_flag(disabled)
    subscription.version += 1
    stamp(subscription, actor)
    with transaction.atomic():
        subscription.save()
        record_action(actor, "subscription.updated", target=subscription, fields=sorted(changes))
        if disabled is not None:
            set_disabled(subscription, disabled, actor=actor)
    return subscription


def _apply_disabled(subscription: EventSubscription, disabled: bool, reason: str) -> None:
    if disabled and not subscription.disabled:
        subscription.disabled, subscription.disabled_reason, subscription.disabled_at = (
            True,
            reason,
            timezone.now(),
        )
    elif not disabled and subscription.disabled:
        subscription.disabled, subscription.disabled_reason, subscription.disabled_at = False, "", None


def set_disabled(
    subscription: EventSubscription,
    disabled: bool,
    reason: str = DisabledReason.MANUAL,
    *,
    detail: str = "",
    actor: Actor = None,
) -> bool:
    """Disable or enable, the one way every interface does it; False (and nothing written) when the
    subscription is already in that state. Disabling, by anyone or by the engine (`reason` gone or
    failing), tells the account with an `event_subscription.disabled` event; `detail` is the human reason.
    Pending messages stay: the engine fails those that come due while disabled (recover brings them back)."""
    with transaction.atomic():
        locked = (
            EventSubscription.objects.select_for_update().select_related("account").get(pk=subscription.pk)
        )
        if locked.disabled == disabled:
            _copy_state(locked, subscription)
            return False
        _apply_disabled(locked, disabled, reason)
        stamp(locked, actor)
        locked.save(
            update_fields=["disabled", "disabled_reason", "disabled_at", "updated", "last_modified_by"]
        )
        if disabled:
            record_action(actor, "subscription.disabled", target=locked, reason=reason, detail=detail)
            _emit_disabled_event(locked, reason, detail)
        else:
            record_action(actor, "subscription.enabled", target=locked)
    _copy_state(locked, subscription)
    return True


def _copy_state(source: EventSubscription, target: EventSubscription) -> None:
    for name in ("disabled", "disabled_reason", "disabled_at", "updated", "last_modified_by"):
        setattr(target, name, getattr(source, name))


def _emit_disabled_event(subscription: EventSubscription, reason: str, detail: str) -> None:
    event_type = ensure_event_type(
        DISABLED_EVENT_TYPE,
        category="other",
        description="The hub disabled an event subscription.",
        example={
            "event_subscription_token": "ep_example",
            "reason": "gone",
            "url": "https://example.com/hook",
        },
    )
    payload = {
        "event_type": DISABLED_EVENT_TYPE,
        "event_subscription_token": subscription.token,
        "url": subscription.url,
        "reason": reason,
        "detail": detail,
        "disabled_at": subscription.disabled_at.isoformat(),
    }
    record_events(subscription.account, [EventSpec(event_type, payload)])


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
    locked.previous_secret_expires_at = timezone.now() + timedelta(
        hours=settings.EVENTHUB_SECRET_ROTATION_GRACE_HOURS
    )
    locked.secret_encrypted = encrypt_secret(new_signing_secret())
    stamp(locked, actor)
    locked.save(
        update_fields=[
            "secret_encrypted",
            "previous_secret_encrypted",
            "previous_secret_expires_at",
            "updated",
            "last_modified_by",
        ]
    )
    record_action(
        actor,
        "subscription.secret_rotated",
        target=locked,
        previous_secret_expires_at=locked.previous_secret_expires_at.isoformat(),
    )
    return locked
