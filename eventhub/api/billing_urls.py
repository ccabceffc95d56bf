"""Billing-dialect routes of events and notification configurations, included under /organizations/<orgId>/
by eventhub.urls (no trailing slashes: the SDK never sends one; `events/fields` before `events/<id>`)."""

from __future__ import annotations

from django.urls import path

from eventhub.api import billing

urlpatterns = [
    path("events", billing.EventListView.as_view(), name="billing-events"),
    path("events/fields", billing.EventFieldsView.as_view(), name="billing-event-fields"),
    path("events/types", billing.EventTypesView.as_view(), name="billing-event-types"),
    path("events/<str:event_id>", billing.EventDetailView.as_view(), name="billing-event-detail"),
    path("events/<str:event_id>/action", billing.EventActionView.as_view(), name="billing-event-action"),
    path(
        "notifications/configurations",
        billing.NotificationConfigurationListView.as_view(),
        name="billing-notifications",
    ),
    path(
        "notifications/configurations/<str:object_id>",
        billing.NotificationConfigurationDetailView.as_view(),
        name="billing-notification-detail",
    ),
]
