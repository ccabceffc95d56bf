from django.urls import path

from subscriptions.api import views

urlpatterns = [
    path("event_subscriptions", views.SubscriptionListView.as_view(), name="event-subscriptions"),
    path("event_subscriptions/<str:token>", views.SubscriptionDetailView.as_view(), name="event-subscription-detail"),
    path("event_subscriptions/<str:token>/secret", views.SubscriptionSecretView.as_view(), name="event-subscription-secret"),
    path(
        "event_subscriptions/<str:token>/secret/rotate",
        views.SubscriptionSecretRotateView.as_view(),
        name="event-subscription-secret-rotate",
    ),
]
