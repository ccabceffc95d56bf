"""Structured operator logs for delivery outcomes and disables (one line each; JSON with
EVENTHUB_LOG_FORMAT=json). Tokens and outcomes only: never a secret, a payload or a response body."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db.models.signals import post_delete, post_save

from eventhub.logs import event
from eventhub.models import Account

logger = logging.getLogger("eventhub.deliveries")
_account_tokens: dict[int, str] = {}  # tokens never change; one query per new account per process


def _forget_account_tokens(**_) -> None:
    """A new or deleted account may take an id seen before (SQLite reuses the ids of deleted rows)."""
    _account_tokens.clear()


post_save.connect(_forget_account_tokens, sender=Account, weak=False, dispatch_uid="oplog-account-tokens")
post_delete.connect(
    _forget_account_tokens, sender=Account, weak=False, dispatch_uid="oplog-account-tokens-del"
)


def account_token(account_id: int) -> str:
    if account_id not in _account_tokens:
        _account_tokens.update(Account.objects.filter(id=account_id).values_list("id", "token"))
    return _account_tokens.get(account_id, str(account_id))


def outcomes(recorded: Iterable) -> None:
    """One `attempt` line per send: status, code, duration and what happens next."""
    if not logger.isEnabledFor(logging.INFO):
        return
    for outcome in recorded:
        message, result = outcome.message, outcome.result
        event(
            logger,
            logging.INFO,
            "attempt",
            account=account_token(message.account_id),
            subscription=message.subscription.token,
            message_token=message.token,
            event_token=message.event.token,
            outcome="skipped_disabled" if result is None else ("success" if result.success else "failure"),
            status_code=None if result is None else result.status_code,
            duration_ms=None if result is None else result.duration_ms,
            error=None if result is None or not result.error else result.error[:200],
            message_status=message.status,
            next_attempt_at=message.next_attempt_at.isoformat() if message.next_attempt_at else None,
        )


def recovery_job(job) -> None:
    """A recovery / replay-missing job finished (DONE or FAILED)."""
    event(
        logger,
        logging.INFO if job.status == "DONE" else logging.ERROR,
        "recovery_job",
        account=account_token(job.subscription.account_id),
        subscription=job.subscription.token,
        job=job.token,
        kind=job.kind,
        status=job.status,
        messages=job.messages,
        error=job.error or None,
    )


def disabled(subscription, reason: str) -> None:
    event(
        logger,
        logging.WARNING,
        "subscription_disabled",
        account=account_token(subscription.account_id),
        subscription=subscription.token,
        reason=reason,
    )
