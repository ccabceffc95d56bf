"""The audit log of staff and API actions that change delivery state or credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from eventhub.models import Account, ApiKey, AuditLogEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class InterfaceActor:
    """A principal acting through an interface other than its own (the customer portal acts for the API
    key that opened it): audited as that principal, with `details["via"]` naming the interface."""

    principal: ApiKey
    via: str


# Who performs a service call: the API key of an API request, the staff user of an admin request, or a
# key acting through an interface (InterfaceActor).
Actor = Union[ApiKey, "AbstractBaseUser", InterfaceActor, None]


def actor_id(actor: Actor) -> str:
    """Who to show as `createdBy`/`lastModifiedBy`: the acting API key's id (also when it acts through the
    portal), `user:<username>` for a staff user, "" for an internal call. Stored on the row, so listings
    need no audit-log join (docs/decisions.md)."""
    if isinstance(actor, InterfaceActor):
        actor = actor.principal
    if isinstance(actor, ApiKey):
        return actor.key_id
    username = getattr(actor, "get_username", None)
    return f"user:{username()}" if username else ""


def stamp(target: Any, actor: Actor, *, created: bool = False) -> None:
    """Set an ActorStamped row's created_by (on create) and last_modified_by before it is saved. An internal
    call (no actor) leaves the stamps of an existing row as they were."""
    if actor is None and not created:
        return
    target.last_modified_by = actor_id(actor)
    if created:
        target.created_by = target.last_modified_by


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
    token = (
        getattr(target, "token", None) or getattr(target, "key_id", None) or getattr(target, "name", "") or ""
    )
    return AuditLogEntry.objects.create(
        action=action,
        actor_user=user if getattr(user, "pk", None) else None,
        actor_key=api_key,
        account=account or getattr(target, "account", None),
        object_type=type(target).__name__ if target is not None else "",
        object_token=str(token)[:64],
        details=details,
    )


def record_action(
    actor: Actor, action: str, *, target: Any = None, account: Account | None = None, **details: Any
) -> AuditLogEntry | None:
    """The audit row of a service call made for `actor` (an API key or a staff user). Services take an
    `actor` argument and call this; None means an internal call (a task, a test), which is not audited."""
    if actor is None:
        return None
    if isinstance(actor, InterfaceActor):
        details = {**details, "via": actor.via}
        actor = actor.principal
    if isinstance(actor, ApiKey):
        return record_audit(action, api_key=actor, account=account, target=target, **details)
    return record_audit(action, user=actor, account=account, target=target, **details)
