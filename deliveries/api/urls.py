from django.urls import path

from deliveries.api import views

urlpatterns = [
    path("events/<str:event_token>/attempts", views.EventAttemptsView.as_view(), name="event-attempts"),
    path(
        "events/<str:event_token>/event_subscriptions/<str:token>/resend",
        views.ResendView.as_view(),
        name="event-resend",
    ),
    path("event_subscriptions/<str:token>/attempts", views.SubscriptionAttemptsView.as_view(), name="event-subscription-attempts"),
    path("event_subscriptions/<str:token>/recover", views.RecoverView.as_view(), name="event-subscription-recover"),
    path(
        "event_subscriptions/<str:token>/replay_missing",
        views.ReplayMissingView.as_view(),
        name="event-subscription-replay-missing",
    ),
    path(
        "simulate/event_subscriptions/<str:token>/send_example",
        views.SendExampleView.as_view(),
        name="event-subscription-send-example",
    ),
]
