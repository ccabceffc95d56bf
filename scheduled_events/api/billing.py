"""Billing dialect (`/organizations/{orgId}/scheduledevents/configurations`): scheduled event configurations
in camelCase, over the same services the admin uses (`scheduled_events.services`)."""

from __future__ import annotations

from rest_framework import serializers

from eventhub.api.billing_dialect import (
    IDS,
    PAGE_PARAMS,
    AuditFields,
    Resource,
    resource_views,
)
from eventhub.selectors import split_csv
from scheduled_events import selectors, services

TAG = "scheduled events"
OPERATION = "billing_scheduled_event_configurations"


class ScheduledEventConfigurationSerializer(AuditFields):
    id = serializers.CharField(source="token")
    name = serializers.CharField()
    entity = serializers.CharField()
    field = serializers.CharField()
    offset = serializers.IntegerField()
    active = serializers.BooleanField()
    backfill = serializers.BooleanField()


class ScheduledEventConfigurationWrite(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    entity = serializers.CharField(max_length=100)
    field = serializers.CharField(max_length=200)
    offset = serializers.IntegerField()
    version = serializers.IntegerField(required=False, allow_null=True)
    backfill = serializers.BooleanField(
        required=False, help_text="Hub extension: also fire occurrences already past."
    )
    active = serializers.BooleanField(
        required=False, help_text="Hub extension: false pauses the configuration; a PUT without it keeps it."
    )


SCHEDULED_EVENT_CONFIGURATIONS = Resource(
    label="scheduled event configuration",
    queryset=lambda account, params: selectors.configurations_for(account, ids=split_csv(params.get("ids"))),
    output=ScheduledEventConfigurationSerializer,
    request=ScheduledEventConfigurationWrite,
    create=lambda account, data, actor: services.create_configuration(account, **data, actor=actor),
    update=lambda config, data, version, actor: services.update_configuration(
        config, **data, version=version, actor=actor
    ),
    delete=lambda config, actor: services.delete_configuration(config, actor=actor),
)
ScheduledEventConfigurationListView, ScheduledEventConfigurationDetailView = resource_views(
    SCHEDULED_EVENT_CONFIGURATIONS, operation=OPERATION, tag=TAG, list_parameters=[*PAGE_PARAMS, IDS]
)
