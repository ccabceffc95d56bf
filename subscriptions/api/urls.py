from django.urls import path

from subscriptions.api import card

urlpatterns = [
    path("event_subscriptions", card.SubscriptionListView.as_view(), name="event-subscriptions"),
    path(
        "event_subscriptions/<str:token>",
        card.SubscriptionDetailView.as_view(),
        name="event-subscription-detail",
    ),
    path(
        "event_subscriptions/<str:token>/secret",
        card.SubscriptionSecretView.as_view(),
        name="event-subscription-secret",
    ),
    path(
        "event_subscriptions/<str:token>/secret/rotate",
        card.SubscriptionSecretRotateView.as_view(),
        name="event-subscription-secret-rotate",
    ),
]
