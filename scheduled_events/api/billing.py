"""Billing dialect (`/organizations/{orgId}/scheduledevents/configurations`): scheduled event configurations
in camelCase, over the same services the admin uses (`scheduled_events.services`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from eventhub.api.billing_dialect import (
    IDS,
    PAGE_PARAMS,
    AuditFields,
    Resource,
    ResourceDetailView,
    ResourceListView,
    page_of,
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
PAGE = page_of(ScheduledEventConfigurationSerializer)


class ScheduledEventConfigurationListView(ResourceListView):
    resource = SCHEDULED_EVENT_CONFIGURATIONS

    @extend_schema(
        operation_id=f"{OPERATION}_list", tags=[TAG], parameters=[*PAGE_PARAMS, IDS], responses=PAGE
    )
    def get(self, request, org_id: str):
        return super().get(request, org_id)

    @extend_schema(
        operation_id=f"{OPERATION}_create",
        tags=[TAG],
        request=ScheduledEventConfigurationWrite,
        responses=ScheduledEventConfigurationSerializer,
    )
    def post(self, request, org_id: str):
        return super().post(request, org_id)


class ScheduledEventConfigurationDetailView(ResourceDetailView):
    resource = SCHEDULED_EVENT_CONFIGURATIONS

    @extend_schema(
        operation_id=f"{OPERATION}_retrieve", tags=[TAG], responses=ScheduledEventConfigurationSerializer
    )
    def get(self, request, org_id: str, object_id: str):
        return super().get(request, org_id, object_id)

    @extend_schema(
        operation_id=f"{OPERATION}_update",
        tags=[TAG],
        request=ScheduledEventConfigurationWrite,
        responses=ScheduledEventConfigurationSerializer,
    )
    def put(self, request, org_id: str, object_id: str):
        return super().put(request, org_id, object_id)

    @extend_schema(
        operation_id=f"{OPERATION}_delete", tags=[TAG], responses=ScheduledEventConfigurationSerializer
    )
    def delete(self, request, org_id: str, object_id: str):
        return super().delete(request, org_id, object_id)
