"""Billing-dialect shapes (camelCase). Output serializers render hub objects as the billing SDK's models
(required fields always present and non-null, see docs API_COMPAT section 3.4); request serializers check
body shapes and map camelCase onto the services' snake_case arguments (`source=`)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from eventhub.services.rules import NOTIFICATION_PREFIX
from subscriptions.integrations import WEBHOOK, integration_status


class AuditFields(serializers.Serializer):
    version = serializers.IntegerField()
    dtCreated = serializers.DateTimeField(source="created")
    dtLastModified = serializers.DateTimeField(source="updated")


# --- events --------------------------------------------------------------------------------------


def _state(payload):
    return {k: v for k, v in payload.items() if k != "event_type"} if isinstance(payload, dict) else payload


def m3ter_event(event) -> dict:
    """Entity events carry `{new, old}`; notifications the same for their source event, plus what fired."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    if event.entity_type:
        return {"eventData": {"new": _state(payload), "old": event.previous_state}}
    rule, source = payload.get("rule"), payload.get("source_event")
    if (
        event.event_type_name.startswith(NOTIFICATION_PREFIX)
        and isinstance(rule, dict)
        and isinstance(source, dict)
    ):
        return {
            "eventData": {"new": _state(payload.get("new")), "old": payload.get("old")},
            "notification": {
                "id": rule.get("id"),
                "code": rule.get("code"),
                "name": rule.get("name"),
                "eventName": rule.get("event_name"),
            },
            "source": {"id": source.get("token"), "eventName": source.get("event_type")},
        }
    return {"eventData": _state(payload)}


class EventResponseSerializer(serializers.Serializer):
    id = serializers.CharField(source="token")
    eventName = serializers.CharField(source="event_type_name")
    eventTime = serializers.DateTimeField(source="occurred_at")
    dtActioned = serializers.SerializerMethodField()
    dtCreated = serializers.DateTimeField(source="created")
    causedBy = serializers.SerializerMethodField()
    m3terEvent = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_dtActioned(self, event) -> str:
        """When the hub finished processing it (rules applied, deliveries created); never null."""
        return serializers.DateTimeField().to_representation(event.processed_at or event.created)

    def get_causedBy(self, event) -> str | None:
        return event.caused_by.token if event.caused_by_id else None

    def get_m3terEvent(self, event) -> dict:
        return m3ter_event(event)


# --- scheduled event configurations -------------------------------------------------------------


class ScheduledEventConfigurationSerializer(AuditFields):
    id = serializers.CharField(source="token")
    name = serializers.CharField()
    entity = serializers.CharField()
    field = serializers.CharField()
    offset = serializers.IntegerField()
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


# --- notification configurations ----------------------------------------------------------------


class NotificationConfigurationSerializer(AuditFields):
    id = serializers.CharField(source="token")
    name = serializers.CharField()
    code = serializers.CharField()
    description = serializers.CharField()
    eventName = serializers.CharField(source="event_name")
    calculation = serializers.CharField()
    alwaysFireEvent = serializers.BooleanField(source="always_fire_event")
    active = serializers.BooleanField()


class NotificationConfigurationWrite(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, allow_blank=True)
    eventName = serializers.CharField(source="event_name", max_length=128)
    calculation = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )
    alwaysFireEvent = serializers.BooleanField(source="always_fire_event", required=False)
    active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, allow_null=True)


# --- webhook destinations ------------------------------------------------------------------------


class WebhookSerializer(AuditFields):
    id = serializers.CharField(source="token")
    name = serializers.CharField()
    code = serializers.CharField()
    description = serializers.CharField()
    url = serializers.CharField()
    active = serializers.SerializerMethodField()
    credentials = serializers.SerializerMethodField()

    def get_active(self, subscription) -> bool:
        return not subscription.disabled

    def get_credentials(self, subscription) -> dict | None:
        """The secret is write-only: it is never rendered."""
        stored = subscription.credentials or {}
        if not stored.get("id"):
            return None
        return {
            "id": stored["id"],
            "destination": WEBHOOK,
            "destinationId": subscription.token,
            "type": stored.get("type", ""),
            "apiKey": stored.get("apiKey"),
            "version": stored.get("version", 1),
        }


class WebhookCredentialsWrite(serializers.Serializer):
    type = serializers.CharField()
    apiKey = serializers.CharField()
    secret = serializers.CharField()
    empty = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, allow_null=True)


class WebhookWrite(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    url = serializers.CharField(max_length=2048)
    description = serializers.CharField(max_length=2000, allow_blank=True)
    credentials = WebhookCredentialsWrite()
    active = serializers.BooleanField(required=False)
    code = serializers.CharField(required=False, allow_blank=True, max_length=100)
    version = serializers.IntegerField(required=False, allow_null=True)


# --- integration configurations ------------------------------------------------------------------


class IntegrationConfigurationSerializer(AuditFields):
    id = serializers.CharField(source="token")
    destination = serializers.CharField()
    destinationId = serializers.CharField(source="subscription.token")
    entityType = serializers.CharField(source="entity_type")
    entityId = serializers.CharField(source="entity_id")
    name = serializers.CharField()
    configData = serializers.JSONField(source="config_data")
    integrationCredentialsId = serializers.CharField(source="integration_credentials_id")
    enabled = serializers.BooleanField()
    triggerType = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    url = serializers.CharField(source="subscription.url")

    def get_triggerType(self, config) -> str:
        return "EVENT"

    def get_status(self, config) -> str:
        return integration_status(config)


class IntegrationCredentialsWrite(serializers.Serializer):
    type = serializers.CharField()
    destination = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    empty = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, allow_null=True)


class IntegrationConfigurationWrite(serializers.Serializer):
    destination = serializers.CharField(max_length=40)
    entityType = serializers.CharField(source="entity_type", max_length=40)
    destinationId = serializers.CharField(
        source="destination_id", required=False, allow_blank=True, allow_null=True
    )
    entityId = serializers.CharField(source="entity_id", required=False, allow_blank=True, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)
    configData = serializers.DictField(source="config_data", required=False, allow_null=True)
    credentials = IntegrationCredentialsWrite(required=False, allow_null=True)
    integrationCredentialsId = serializers.CharField(
        source="integration_credentials_id", required=False, allow_blank=True, allow_null=True, max_length=100
    )
    version = serializers.IntegerField(required=False, allow_null=True)
