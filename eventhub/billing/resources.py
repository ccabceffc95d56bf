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
from eventhub.models import Account, NotificationRule
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
    create: Callable[[Account, dict], Model]
    update: Callable[[Model, dict, int | None], Model]
    delete: Callable[[Model], Model]


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
    create=lambda account, data: scheduled.create_configuration(account, **data),
    update=lambda config, data, version: scheduled.update_configuration(config, **data, version=version),
    delete=scheduled.delete_configuration,
)

NOTIFICATION_CONFIGURATIONS = Resource(
    label="notification configuration",
    queryset=_rules,
    output=shapes.NotificationConfigurationSerializer,
    request=shapes.NotificationConfigurationWrite,
    create=lambda account, data: rules.create_rule(account, **data),
    update=lambda rule, data, version: rules.update_rule(rule, data, version=version),
    delete=rules.delete_rule,
)

WEBHOOKS = Resource(
    label="webhook destination",
    queryset=lambda account, params: integrations.webhooks_for(account, ids=split_csv(params.get("ids"))),
    output=shapes.WebhookSerializer,
    request=shapes.WebhookWrite,
    create=lambda account, data: integrations.create_webhook_destination(account, **data),
    update=lambda webhook, data, version: integrations.update_webhook_destination(
        webhook, data, version=version
    ),
    delete=integrations.delete_webhook_destination,
)

INTEGRATION_CONFIGURATIONS = Resource(
    label="integration configuration",
    queryset=lambda account, params: integrations.integrations_for(
        account, destination_id=params.get("destinationId") or None
    ),
    output=shapes.IntegrationConfigurationSerializer,
    request=shapes.IntegrationConfigurationWrite,
    create=lambda account, data: integrations.create_integration(account, **data),
    update=lambda config, data, version: integrations.update_integration(config, data, version=version),
    delete=integrations.delete_integration,
)
