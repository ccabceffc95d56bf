"""The audit log of staff and API actions that change delivery state or credentials."""
from __future__ import annotations

from typing import Any

from eventhub.models import Account, ApiKey, AuditLogEntry


def record_audit(
    action: str,
    *,
    user=None,
    api_key: ApiKey | None = None,
    account: Account | None = None,
    target: Any = None,
    **details: Any,
) -> AuditLogEntry:
    """`target` is any model with a `token` (or `name`); details must be JSON-serializable and secret-free."""
    token = getattr(target, "token", None) or getattr(target, "key_id", None) or getattr(target, "name", "") or ""
    return AuditLogEntry.objects.create(
        action=action,
        actor_user=user if getattr(user, "pk", None) else None,
        actor_key=api_key,
        account=account or getattr(target, "account", None),
        object_type=type(target).__name__ if target is not None else "",
        object_token=str(token)[:64],
        details=details,
    )
