"""Billing-dialect routes of scheduled events, included under /organizations/<orgId>/ by eventhub.urls."""

from __future__ import annotations

from django.urls import path

from scheduled_events.api import billing

urlpatterns = [
    path(
        "scheduledevents/configurations",
        billing.ScheduledEventConfigurationListView.as_view(),
        name="billing-scheduled",
    ),
    path(
        "scheduledevents/configurations/<str:object_id>",
        billing.ScheduledEventConfigurationDetailView.as_view(),
        name="billing-scheduled-detail",
    ),
]
