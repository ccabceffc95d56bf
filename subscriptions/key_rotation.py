"""Moving every stored secret to the first EVENTHUB_ENCRYPTION_KEYS key, so an old key can be removed.

Secrets live in three places: a subscription's signing secret, its previous secret during the rotation
grace, and a billing destination's credential secret (`credentials.secretEncrypted`). Rows are moved in
batches, each in its own transaction under a row lock, so the command can be interrupted and run again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from eventhub.services.audit import record_audit
from subscriptions.models import EventSubscription
from subscriptions.secrets import SecretUndecryptable, reencrypt_secret

BATCH = 500


@dataclass
class RotationReport:
    scanned: int = 0  # subscriptions looked at
    reencrypted: int = 0  # secrets written under the first key
    undecryptable: list[str] = field(
        default_factory=list
    )  # tokens of subscriptions with a secret no key opens


def reencrypt_stored_secrets(
    progress: Callable[[RotationReport], None] | None = None, *, batch: int = BATCH
) -> RotationReport:
    """Re-encrypt every stored secret under the first key; secrets no key decrypts are reported, not changed."""
    report = RotationReport()
    after = 0
    while True:
        with transaction.atomic():
            rows = list(
                EventSubscription.objects.select_for_update().filter(pk__gt=after).order_by("pk")[:batch]
            )
            for subscription in rows:
                _reencrypt(subscription, report)
        if not rows:
            break
        after = rows[-1].pk
        report.scanned += len(rows)
        if progress is not None:
            progress(report)
    record_audit(
        "encryption_key.rotate",
        scanned=report.scanned,
        reencrypted=report.reencrypted,
        undecryptable=report.undecryptable[:100],
    )
    return report


def _reencrypt(subscription: EventSubscription, report: RotationReport) -> None:
    changed: list[str] = []
    try:
        for name in ("secret_encrypted", "previous_secret_encrypted"):
            value = getattr(subscription, name)
            moved = reencrypt_secret(value) if value else None
            if moved is not None:
                setattr(subscription, name, moved)
                changed.append(name)
        stored = (subscription.credentials or {}).get("secretEncrypted")
        moved = reencrypt_secret(stored, "credential secret") if isinstance(stored, str) and stored else None
        if moved is not None:
            subscription.credentials = {**subscription.credentials, "secretEncrypted": moved}
            changed.append("credentials")
    except SecretUndecryptable:
        report.undecryptable.append(subscription.token)
        return
    if changed:
        # update(), not save(): a key rotation is not an edit (no `updated`/`version` bump).
        EventSubscription.objects.filter(pk=subscription.pk).update(
            **{name: getattr(subscription, name) for name in changed}
        )
        report.reencrypted += len(changed)
