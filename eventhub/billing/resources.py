"""The billing dialect's CRUD resources, declared once: how to scope and filter, which serializers shape
them, and which service performs each write. The generic views in `views.py` do the HTTP part."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import serializers

from eventhub.api.views import truthy
from eventhub.billing import serializers as shapes
from eventhub.models import Account, ApiKey, NotificationRule
from eventhub.selectors import split_csv
from eventhub.services import rules
from scheduled_events import selectors as scheduled_selectors
from scheduled_events import services as scheduled
from subscriptions import integrations


@dataclass(frozen=True)
class Resource:
    label: str
    queryset: Callable[[Account, Any], QuerySet]  # (account, query params) -> scoped, filtered rows
    output: type[serializers.Serializer]
    request: type[serializers.Serializer]
    # Writes take the acting API key last; resources whose services audit (webhook destinations) pass it on.
    create: Callable[[Account, dict, ApiKey], Model]
    update: Callable[[Model, dict, int | None, ApiKey], Model]
    delete: Callable[[Model, ApiKey], Model]


def _rules(account: Account, params) -> QuerySet[NotificationRule]:
    queryset = NotificationRule.objects.filter(account=account)
    if ids := split_csv(params.get("ids")):
        queryset = queryset.filter(token__in=ids)
    if event_name := params.get("eventName"):
        queryset = queryset.filter(event_name=event_name)
    if params.get("active") not in (None, ""):
        queryset = queryset.filter(active=truthy(params.get("active"), "active"))
    return queryset


SCHEDULED_EVENT_CONFIGURATIONS = Resource(
    label="scheduled event configuration",
    queryset=lambda account, params: scheduled_selectors.configurations_for(
        account, ids=split_csv(params.get("ids"))
    ),
    output=shapes.ScheduledEventConfigurationSerializer,
    request=shapes.ScheduledEventConfigurationWrite,
    create=lambda account, data, actor: scheduled.create_configuration(account, **data),
    update=lambda config, data, version, actor: scheduled.update_configuration(config, **data, version=version),
    delete=lambda config, actor: scheduled.delete_configuration(config),
)

NOTIFICATION_CONFIGURATIONS = Resource(
    label="notification configuration",
    queryset=_rules,
    output=shapes.NotificationConfigurationSerializer,
    request=shapes.NotificationConfigurationWrite,
    create=lambda account, data, actor: rules.create_rule(account, **data),
    update=lambda rule, data, version, actor: rules.update_rule(rule, data, version=version),
    delete=lambda rule, actor: rules.delete_rule(rule),
)

WEBHOOKS = Resource(
    label="webhook destination",
    queryset=lambda account, params: integrations.webhooks_for(account, ids=split_csv(params.get("ids"))),
    output=shapes.WebhookSerializer,
    request=shapes.WebhookWrite,
    create=lambda account, data, actor: integrations.create_webhook_destination(account, **data, actor=actor),
    update=lambda webhook, data, version, actor: integrations.update_webhook_destination(
        webhook, data, version=version, actor=actor
    ),
    delete=lambda webhook, actor: integrations.delete_webhook_destination(webhook, actor=actor),
)

INTEGRATION_CONFIGURATIONS = Resource(
    label="integration configuration",
    queryset=lambda account, params: integrations.integrations_for(
        account, destination_id=params.get("destinationId") or None
    ),
    output=shapes.IntegrationConfigurationSerializer,
    request=shapes.IntegrationConfigurationWrite,
    create=lambda account, data, actor: integrations.create_integration(account, **data),
    update=lambda config, data, version, actor: integrations.update_integration(config, data, version=version),
    delete=lambda config, actor: integrations.delete_integration(config),
)
