from django.urls import path

from deliveries.api import card

urlpatterns = [
    path("events/<str:event_token>/attempts", card.EventAttemptsView.as_view(), name="event-attempts"),
    path(
        "events/<str:event_token>/event_subscriptions/<str:token>/resend",
        card.ResendView.as_view(),
        name="event-resend",
    ),
    path(
        "event_subscriptions/<str:token>/attempts",
        card.SubscriptionAttemptsView.as_view(),
        name="event-subscription-attempts",
    ),
    path(
        "event_subscriptions/<str:token>/recover",
        card.RecoverView.as_view(),
        name="event-subscription-recover",
    ),
    path(
        "event_subscriptions/<str:token>/replay_missing",
        card.ReplayMissingView.as_view(),
        name="event-subscription-replay-missing",
    ),
    path(
        "simulate/event_subscriptions/<str:token>/send_example",
        card.SendExampleView.as_view(),
        name="event-subscription-send-example",
    ),
]
