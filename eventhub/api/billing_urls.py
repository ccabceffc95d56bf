"""/organizations/<orgId>/... routes (no trailing slashes: the SDK never sends one)."""

from django.urls import path

from eventhub.billing import views

urlpatterns = [
    path("events", views.EventListView.as_view(), name="billing-events"),
    path("events/fields", views.EventFieldsView.as_view(), name="billing-event-fields"),
    path("events/types", views.EventTypesView.as_view(), name="billing-event-types"),
    path("events/<str:event_id>", views.EventDetailView.as_view(), name="billing-event-detail"),
    path("scheduledevents/configurations", views.ScheduledListView.as_view(), name="billing-scheduled"),
    path(
        "scheduledevents/configurations/<str:object_id>",
        views.ScheduledDetailView.as_view(),
        name="billing-scheduled-detail",
    ),
    path("notifications/configurations", views.NotificationListView.as_view(), name="billing-notifications"),
    path(
        "notifications/configurations/<str:object_id>",
        views.NotificationDetailView.as_view(),
        name="billing-notification-detail",
    ),
    path("integrationdestinations/webhooks", views.WebhookListView.as_view(), name="billing-webhooks"),
    path(
        "integrationdestinations/webhooks/<str:object_id>",
        views.WebhookDetailView.as_view(),
        name="billing-webhook-detail",
    ),
    path(
        "integrationdestinations/webhooks/<str:object_id>/active",
        views.WebhookActiveView.as_view(),
        name="billing-webhook-active",
    ),
    path("integrationconfigs", views.IntegrationListView.as_view(), name="billing-integrations"),
    path(
        "integrationconfigs/entity/<str:entity_type>",
        views.IntegrationByEntityView.as_view(),
        name="billing-integration-entity",
    ),
    path(
        "integrationconfigs/<str:object_id>",
        views.IntegrationDetailView.as_view(),
        name="billing-integration-detail",
    ),
    path(
        "integrationconfigs/<str:object_id>/enable",
        views.IntegrationEnableView.as_view(),
        name="billing-integration-enable",
    ),
]
