from django.urls import path

from eventhub.api import views

urlpatterns = [
    path("events", views.EventListView.as_view(), name="events"),
    path("events/<str:event_token>", views.EventDetailView.as_view(), name="event-detail"),
    path("event_types", views.EventTypeListView.as_view(), name="event-types"),
    path("event_types/<str:name>", views.EventTypeDetailView.as_view(), name="event-type-detail"),
    path("accounts", views.AccountListView.as_view(), name="accounts"),
]
