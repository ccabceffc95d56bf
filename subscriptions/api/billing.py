"""Billing dialect (`/organizations/{orgId}/integrationdestinations/webhooks`, `/integrationconfigs`): webhook
destinations and integration configurations in camelCase, over `subscriptions.integrations`.

A webhook destination is an event subscription; its secret is write-only and never rendered.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from eventhub.api.billing_dialect import (
    IDS,
    PAGE_PARAMS,
    AuditFields,
    BillingView,
    Resource,
    object_or_404,
    resource_views,
)
from eventhub.api.params import truthy
from eventhub.selectors import split_csv
from subscriptions import integrations

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
            "destination": integrations.WEBHOOK,
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


WEBHOOKS = Resource(
    label="webhook destination",
    queryset=lambda account, params: integrations.webhooks_for(account, ids=split_csv(params.get("ids"))),
    output=WebhookSerializer,
    request=WebhookWrite,
    create=lambda account, data, actor: integrations.create_webhook_destination(account, **data, actor=actor),
    update=lambda webhook, data, version, actor: integrations.update_webhook_destination(
        webhook, data, version=version, actor=actor
    ),
    delete=lambda webhook, actor: integrations.delete_webhook_destination(webhook, actor=actor),
)
WEBHOOK_TAG = "webhook destinations"
WebhookListView, WebhookDetailView = resource_views(
    WEBHOOKS, operation="billing_webhooks", tag=WEBHOOK_TAG, list_parameters=[*PAGE_PARAMS, IDS]
)


class WebhookActiveView(BillingView):
    @extend_schema(
        operation_id="billing_webhooks_set_active",
        tags=[WEBHOOK_TAG],
        request=None,
        parameters=[OpenApiParameter("active", bool)],
        responses=WebhookSerializer,
    )
    def put(self, request, org_id: str, object_id: str):
        webhook = object_or_404(WEBHOOKS, self.account, object_id)
        active = truthy(request.query_params.get("active"), "active", default=True)
        updated = integrations.set_webhook_active(webhook, active, actor=request.user.api_key)
        return Response(WebhookSerializer(updated).data)


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
        return integrations.integration_status(config)


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
    enabled = serializers.BooleanField(
        required=False,
        help_text="Hub extension (the platform only has enable): false disables the configuration, so it "
        "routes nothing; a PUT without it keeps it.",
    )
    version = serializers.IntegerField(required=False, allow_null=True)


INTEGRATION_CONFIGURATIONS = Resource(
    label="integration configuration",
    queryset=lambda account, params: integrations.integrations_for(
        account, destination_id=params.get("destinationId") or None
    ),
    output=IntegrationConfigurationSerializer,
    request=IntegrationConfigurationWrite,
    create=lambda account, data, actor: integrations.create_integration(account, **data, actor=actor),
    update=lambda config, data, version, actor: integrations.update_integration(
        config, data, version=version, actor=actor
    ),
    delete=lambda config, actor: integrations.delete_integration(config, actor=actor),
)
INTEGRATION_TAG = "integration configurations"
INTEGRATION_OPERATION = "billing_integration_configurations"
IntegrationConfigurationListView, IntegrationConfigurationDetailView = resource_views(
    INTEGRATION_CONFIGURATIONS,
    operation=INTEGRATION_OPERATION,
    tag=INTEGRATION_TAG,
    list_parameters=[*PAGE_PARAMS, OpenApiParameter("destinationId", str)],
)


class IntegrationEnableView(BillingView):
    @extend_schema(
        operation_id=f"{INTEGRATION_OPERATION}_enable",
        tags=[INTEGRATION_TAG],
        request=None,
        responses=IntegrationConfigurationSerializer,
    )
    def post(self, request, org_id: str, object_id: str):
        config = object_or_404(INTEGRATION_CONFIGURATIONS, self.account, object_id)
        enabled = integrations.enable_integration(config, actor=request.user.api_key)
        return Response(IntegrationConfigurationSerializer(enabled).data)


class IntegrationByEntityView(BillingView):
    @extend_schema(
        operation_id=f"{INTEGRATION_OPERATION}_get_by_entity",
        tags=[INTEGRATION_TAG],
        parameters=[OpenApiParameter(n, str) for n in ("destination", "destinationId", "entityId")],
        responses=IntegrationConfigurationSerializer,
    )
    def get(self, request, org_id: str, entity_type: str):
        params = request.query_params
        config = integrations.integration_for_entity(
            self.account,
            entity_type,
            destination=params.get("destination") or None,
            destination_id=params.get("destinationId") or None,
            entity_id=params.get("entityId") or None,
        )
        return Response(IntegrationConfigurationSerializer(config).data)
