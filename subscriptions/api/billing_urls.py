"""Billing-dialect routes of webhook destinations and integration configurations, included under
/organizations/<orgId>/ by eventhub.urls (`entity/...` before `<object_id>`: the more specific route first)."""

from __future__ import annotations

from django.urls import path

from subscriptions.api import billing

urlpatterns = [
    path("integrationdestinations/webhooks", billing.WebhookListView.as_view(), name="billing-webhooks"),
    path(
        "integrationdestinations/webhooks/<str:object_id>",
        billing.WebhookDetailView.as_view(),
        name="billing-webhook-detail",
    ),
    path(
        "integrationdestinations/webhooks/<str:object_id>/active",
        billing.WebhookActiveView.as_view(),
        name="billing-webhook-active",
    ),
    path(
        "integrationconfigs", billing.IntegrationConfigurationListView.as_view(), name="billing-integrations"
    ),
    path(
        "integrationconfigs/entity/<str:entity_type>",
        billing.IntegrationByEntityView.as_view(),
        name="billing-integration-entity",
    ),
    path(
        "integrationconfigs/<str:object_id>",
        billing.IntegrationConfigurationDetailView.as_view(),
        name="billing-integration-detail",
    ),
    path(
        "integrationconfigs/<str:object_id>/enable",
        billing.IntegrationEnableView.as_view(),
        name="billing-integration-enable",
    ),
]
