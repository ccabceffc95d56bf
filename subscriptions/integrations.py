"""Billing-dialect integrations: webhook destinations and the integration configurations that route
notification events to them.

A webhook destination is an EventSubscription (dialect billing). It receives exactly the event types its
enabled integration configurations route to it: `notification.<code>` of the linked rule (or of every
rule when the configuration names none). Routing is kept in the subscription's `event_types`, which the
delivery fan-out already honours; a destination with no route holds only the archived placeholder type
UNROUTED, because an empty list would mean "every event".
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from eventhub import hotcache, tokens
from eventhub.errors import InvalidInput, NotFound
from eventhub.models import Account, EventType, NotificationRule
from eventhub.services.audit import Actor, record_action, stamp
from eventhub.services.catalog import ensure_event_type
from eventhub.services.rules import NOTIFICATION_PREFIX, notification_type_name
from eventhub.versions import check_version
from subscriptions import services
from subscriptions.models import Dialect, EventSubscription, IntegrationConfiguration
from subscriptions.secrets import encrypt_secret

WEBHOOK = "WEBHOOK"
NOTIFICATION = "Notification"
SIGNED_REQUEST = "M3TER_SIGNED_REQUEST"
UNROUTED = "webhook_destination.unrouted"
# The billing platform's IntegrationConfigurationResponse status values the hub uses.
STATUS_COMPLETE, STATUS_WAITING, STATUS_DISABLED, STATUS_ERROR = "COMPLETE", "WAITING", "DISABLED", "ERROR"
STATUS_AWAITING_RETRY, STATUS_AUTH_FAILED = "AWAITING_RETRY", "AUTH_FAILED"
# The billing platform also integrates with accounting systems (NETSUITE, XERO, ...) and for Bill entities;
# the hub delivers notifications to webhooks only, and says so rather than storing what cannot run.
SUPPORTED_DESTINATIONS = (WEBHOOK,)
SUPPORTED_ENTITY_TYPES = (NOTIFICATION,)


def _invalid(errors: dict[str, list[str]]) -> InvalidInput:
    first = next(iter(errors))
    return InvalidInput(f"{first}: {errors[first][0]}", errors)


def _unrouted_type() -> str:
    """The placeholder exists archived: nothing can publish it and catalog lists hide it."""
    ensure_event_type(
        UNROUTED,
        category="other",
        description="Placeholder route of a webhook destination that receives nothing yet.",
    )
    hotcache.update_rows(
        EventType.objects.filter(key=EventType.key_for(UNROUTED, None), archived=False), archived=True
    )
    return UNROUTED


# --- webhook destinations -------------------------------------------------------------------


def webhooks_for(account: Account, *, ids: list[str] | None = None) -> QuerySet[EventSubscription]:
    queryset = EventSubscription.objects.filter(account=account, dialect=Dialect.BILLING)
    return queryset.filter(token__in=ids) if ids else queryset


def _destination_fields(values: dict[str, Any], current: dict | None) -> dict[str, Any]:
    """Validate a destination body; the credentials' secret is stored encrypted and never shown again."""
    errors: dict[str, list[str]] = {}
    name, code, credentials = values.get("name"), values.get("code") or "", values.get("credentials")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors["name"] = ["Must be a non-empty string of at most 200 characters."]
    if not isinstance(code, str) or len(code) > 100:
        errors["code"] = ["Must be a string of at most 100 characters."]
    if "active" in values and not isinstance(values["active"], bool):
        errors["active"] = ["Must be true or false."]
    if not isinstance(credentials, dict):
        errors["credentials"] = ["Must be an object with type, apiKey and secret."]
    else:
        if credentials.get("type") != SIGNED_REQUEST:
            errors["credentials.type"] = [f"Must be {SIGNED_REQUEST}."]
        for key in ("apiKey", "secret"):
            if (
                not isinstance(credentials.get(key), str)
                or not credentials[key]
                or len(credentials[key]) > 500
            ):
                errors[f"credentials.{key}"] = ["Must be a non-empty string of at most 500 characters."]
        if isinstance(credentials.get("apiKey"), str) and not credentials["apiKey"].isprintable():
            # It is sent in a header and is one line of the signed canonical string (eventhub.verify).
            errors["credentials.apiKey"] = ["Must not contain control characters."]
    if errors:
        raise _invalid(errors)
    stored = {
        "id": (current or {}).get("id") or tokens.new_token("cred"),
        "type": credentials["type"],
        "apiKey": credentials["apiKey"],
        "secretEncrypted": encrypt_secret(credentials["secret"]),
        "version": (current or {}).get("version", 0) + 1,
    }
    return {"name": name, "code": code, "credentials": stored}


def create_webhook_destination(
    account: Account,
    *,
    url: str,
    name: str,
    description: str = "",
    credentials: dict,
    active: bool = True,
    code: str = "",
    actor: Actor = None,
) -> EventSubscription:
    fields = _destination_fields(
        {"name": name, "code": code, "credentials": credentials, "active": active}, None
    )
    with transaction.atomic():
        return services.create_subscription(
            account,
            url=url,
            description=description,
            event_types=[_unrouted_type()],
            disabled=not active,
            dialect=Dialect.BILLING,
            actor=actor,
            **fields,
        )


def update_webhook_destination(
    subscription: EventSubscription,
    values: dict[str, Any],
    *,
    version: int | None = None,
    actor: Actor = None,
) -> EventSubscription:
    """Full replace of url, name, code, description, credentials (and active when given), version-checked."""
    with transaction.atomic():
        locked = EventSubscription.objects.select_for_update().get(pk=subscription.pk)
        check_version(locked.version, version)
        changes = _destination_fields(values, locked.credentials)
        changes.update(url=values.get("url"), description=values.get("description"))
        if "active" in values:
            changes["disabled"] = not values["active"]
        return services.update_subscription(locked, changes, actor=actor)


def set_webhook_active(
    subscription: EventSubscription, active: bool, *, actor: Actor = None
) -> EventSubscription:
    services.set_disabled(subscription, not active, actor=actor)
    return subscription


def delete_webhook_destination(subscription: EventSubscription, *, actor: Actor = None) -> EventSubscription:
    """Its integration configurations go with it."""
    services.delete_subscription(subscription, actor=actor)
    return subscription


# --- integration configurations --------------------------------------------------------------


def integrations_for(
    account: Account, *, destination_id: str | None = None
) -> QuerySet[IntegrationConfiguration]:
    queryset = with_rule_presence(
        IntegrationConfiguration.objects.filter(account=account).select_related("subscription")
    )
    return queryset.filter(subscription__token=destination_id) if destination_id else queryset


def with_rule_presence(queryset: QuerySet[IntegrationConfiguration]) -> QuerySet[IntegrationConfiguration]:
    """Annotate whether each configuration's rule still exists, so integration_status needs no query per
    row in listings (the API's and the admin's)."""
    rules = NotificationRule.objects.filter(account_id=OuterRef("account_id"), token=OuterRef("entity_id"))
    return queryset.annotate(rule_exists=Exists(rules))


def integration_for_entity(
    account: Account,
    entity_type: str,
    *,
    destination: str | None = None,
    destination_id: str | None = None,
    entity_id: str | None = None,
) -> IntegrationConfiguration:
    """The newest configuration for an entity type (and the optional filters), or NotFound."""
    queryset = integrations_for(account, destination_id=destination_id).filter(
        entity_type__iexact=entity_type
    )
    if destination:
        queryset = queryset.filter(destination__iexact=destination)
    if entity_id:
        queryset = queryset.filter(Q(entity_id=entity_id) | Q(entity_id=""))
    found = queryset.order_by(
        "-entity_id", "-created", "-id"
    ).first()  # an exact entity match before a catch-all
    if found is None:
        raise NotFound(f"No integration configuration for entity type {entity_type[:64]!r}.")
    return found


def integration_status(config: IntegrationConfiguration) -> str:
    """DISABLED while it or its destination is disabled (nothing is sent); ERROR when its notification
    rule was deleted; otherwise its latest routing outcome (set by the deliveries layer: COMPLETE,
    AWAITING_RETRY, AUTH_FAILED, ERROR), or WAITING until it has routed a first message."""
    if not config.enabled or config.subscription.disabled:
        return STATUS_DISABLED
    if config.entity_id and not _rule_exists(config):
        return STATUS_ERROR  # its notification rule was deleted
    return config.routing_status or STATUS_WAITING


def _rule_exists(config: IntegrationConfiguration) -> bool:
    annotated = getattr(config, "rule_exists", None)  # with_rule_presence
    if annotated is not None:
        return annotated
    return NotificationRule.objects.filter(account_id=config.account_id, token=config.entity_id).exists()


def _integration_fields(account: Account, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    destination, entity_type = values.get("destination"), values.get("entity_type")
    if not isinstance(destination, str) or destination.upper() not in SUPPORTED_DESTINATIONS:
        errors["destination"] = [
            f"Unsupported destination {str(destination)[:40]!r}: the supported destinations are "
            f"{', '.join(SUPPORTED_DESTINATIONS)}."
        ]
    if not isinstance(entity_type, str) or entity_type.lower() not in {
        t.lower() for t in SUPPORTED_ENTITY_TYPES
    }:
        errors["entity_type"] = [
            f"Unsupported entity type {str(entity_type)[:40]!r}: the supported entity types are "
            f"{', '.join(SUPPORTED_ENTITY_TYPES)}."
        ]
    if "enabled" in values and not isinstance(values["enabled"], bool):
        errors["enabled"] = ["Must be true or false."]
    subscription = webhooks_for(account).filter(token=values.get("destination_id") or "").first()
    if subscription is None:
        errors["destination_id"] = ["Must be the id of one of this organization's webhook destinations."]
    entity_id = values.get("entity_id") or ""
    if entity_id and not NotificationRule.objects.filter(account=account, token=entity_id).exists():
        errors["entity_id"] = [
            "Must be the id of one of this organization's notifications (or omitted for all)."
        ]
    for key in ("config_data", "credentials"):
        if values.get(key) is not None and not isinstance(values[key], dict):
            errors[key] = ["Must be an object."]
        elif "\\u0000" in json.dumps(values.get(key)) or len(json.dumps(values.get(key))) > 16384:
            errors[key] = ["Must not contain NUL characters or exceed 16 KiB."]
    for key in ("name", "integration_credentials_id"):
        if values.get(key) is not None and (not isinstance(values[key], str) or len(values[key]) > 100):
            errors[key] = ["Must be a string of at most 100 characters."]
    if errors:
        raise _invalid(errors)
    credentials = {
        k: v
        for k, v in (values.get("credentials") or {}).items()
        if k in ("type", "destination", "name", "empty")
    }
    return {
        "destination": WEBHOOK,
        "entity_type": NOTIFICATION,
        "subscription": subscription,
        "entity_id": entity_id,
        "name": values.get("name") or "",
        "config_data": values.get("config_data") or {},
        "credentials": credentials,  # secrets are never stored here: the destination holds them
        "integration_credentials_id": values.get("integration_credentials_id") or "",
    }


def create_integration(account: Account, *, actor: Actor = None, **values: Any) -> IntegrationConfiguration:
    """A new configuration (enabled unless `enabled=False`); the destination starts receiving what it routes.
    Audited (and stamped createdBy) for `actor`."""
    fields = _integration_fields(account, values)
    config = IntegrationConfiguration(account=account, enabled=values.get("enabled", True), **fields)
    stamp(config, actor, created=True)
    with transaction.atomic():
        config.save()
        record_action(actor, "integration.created", target=config, destination_id=config.subscription.token)
        _sync_routes([config.subscription_id])
    return config


def update_integration(
    config: IntegrationConfiguration,
    values: dict[str, Any],
    *,
    version: int | None = None,
    actor: Actor = None,
) -> IntegrationConfiguration:
    """Full replace, version-checked. `enabled` (a hub extension: the platform has only `enable`) is kept
    when absent; a change of it goes through set_integration_enabled, with its own audit row."""
    with transaction.atomic():
        locked = IntegrationConfiguration.objects.select_for_update().get(pk=config.pk)
        check_version(locked.version, version)
        previous = locked.subscription_id
        for key, value in _integration_fields(locked.account, values).items():
            setattr(locked, key, value)
        locked.version += 1
        stamp(locked, actor)
        locked.save()
        record_action(actor, "integration.updated", target=locked, fields=sorted(values))
        _sync_routes([previous, locked.subscription_id])
        if values.get("enabled") is not None:
            locked = set_integration_enabled(locked, values["enabled"], actor=actor)
    return locked


def set_integration_enabled(
    config: IntegrationConfiguration, enabled: bool, *, actor: Actor = None
) -> IntegrationConfiguration:
    """Enable or disable, the one way the API (enable, PUT `enabled`) and the admin do it: the destination's
    routes follow at once, so an event published after a disable is not delivered through this
    configuration. Nothing is written (and nothing audited) when it is already in that state."""
    with transaction.atomic():
        locked = IntegrationConfiguration.objects.select_for_update().get(pk=config.pk)
        if locked.enabled != enabled:
            locked.enabled = enabled
            stamp(locked, actor)
            locked.save(update_fields=["enabled", "last_modified_by", "updated"])
            action = "integration.enabled" if enabled else "integration.disabled"
            record_action(actor, action, target=locked)
            _sync_routes([locked.subscription_id])
    return locked


def enable_integration(config: IntegrationConfiguration, *, actor: Actor = None) -> IntegrationConfiguration:
    return set_integration_enabled(config, True, actor=actor)


def disable_integration(config: IntegrationConfiguration, *, actor: Actor = None) -> IntegrationConfiguration:
    return set_integration_enabled(config, False, actor=actor)


def delete_integration(config: IntegrationConfiguration, *, actor: Actor = None) -> IntegrationConfiguration:
    """The destination stops receiving what only this configuration routed to it. Audited for `actor`."""
    with transaction.atomic():
        subscription_id = config.subscription_id
        record_action(actor, "integration.deleted", target=config)
        config.delete()
        _sync_routes([subscription_id])
    return config


def resync_notification_routes(account: Account) -> None:
    """After a rule is created, renamed or deleted: recompute every routed destination of the account."""
    ids = IntegrationConfiguration.objects.filter(account=account).values_list("subscription_id", flat=True)
    _sync_routes(list(ids))


def _sync_routes(subscription_ids: list[int]) -> None:
    """Set each destination's notification types from its enabled configurations; other types are kept."""
    subscriptions = (
        EventSubscription.objects.select_for_update().filter(pk__in=set(subscription_ids)).order_by("pk")
    )
    for subscription in subscriptions:
        configs = list(subscription.integration_configurations.filter(enabled=True, entity_type=NOTIFICATION))
        codes: set[str] = set()
        if configs:
            rules = dict(
                NotificationRule.objects.filter(account_id=subscription.account_id).values_list(
                    "token", "code"
                )
            )
            for config in configs:
                if not config.entity_id:
                    codes.update(rules.values())
                elif config.entity_id in rules:
                    codes.add(rules[config.entity_id])
        kept = [
            t for t in subscription.event_types if not t.startswith(NOTIFICATION_PREFIX) and t != UNROUTED
        ]
        wanted = kept + sorted(notification_type_name(code) for code in codes)
        if not wanted:
            wanted = [_unrouted_type()]
        if wanted != subscription.event_types:
            hotcache.update_rows(EventSubscription.objects.filter(pk=subscription.pk), event_types=wanted)
