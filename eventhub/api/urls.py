from django.urls import path

from eventhub.api import card
from eventhub.api.lean_publish import with_lean_publish

urlpatterns = [
    path("events", with_lean_publish(card.EventListView), name="events"),
    path("events/<str:event_token>", card.EventDetailView.as_view(), name="event-detail"),
    path("event_types", card.EventTypeListView.as_view(), name="event-types"),
    path("event_types/<str:name>", card.EventTypeDetailView.as_view(), name="event-type-detail"),
    path("accounts", card.AccountListView.as_view(), name="accounts"),
]
