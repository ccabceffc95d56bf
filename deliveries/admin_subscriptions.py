"""The subscription admin as deliveries extends it: the delivery actions (recover, replay missing, send
example), the failing-since state and the change page's health panel and recent attempts.

subscriptions sits below deliveries, so its admin cannot know about messages; this module subclasses it
and registers the subclass in its place (imported by deliveries.admin, which autodiscover loads after
subscriptions.admin because it imports it)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from deliveries import admin_actions, health
from deliveries.models import FailureStreak, Message, MessageAttempt
from eventhub.admin_base import changelist_url
from subscriptions.admin import EventSubscriptionAdmin
from subscriptions.models import EventSubscription

RECENT_ATTEMPTS = 20


class DeliveriesEventSubscriptionAdmin(admin_actions.DeliveryActionPermissions, EventSubscriptionAdmin):
    actions = [
        *EventSubscriptionAdmin.actions,
        admin_actions.recover_failed,
        admin_actions.replay_missing,
        admin_actions.send_example,
    ]

    def failing_since(self, subscription: EventSubscription):
        return (
            FailureStreak.objects.filter(subscription_id=subscription.pk)
            .values_list("failing_since", flat=True)
            .first()
        )

    def delivery_context(self, subscription: EventSubscription) -> dict:
        attempts = list(
            MessageAttempt.objects.filter(subscription_id=subscription.pk)
            .select_related("event")
            .order_by("-created", "-id")[:RECENT_ATTEMPTS]
        )
        return {
            "recent_attempts": attempts,
            "stats_24h": health.subscription_stats(subscription.pk, timezone.now() - timedelta(days=1)),
            "attempts_url": changelist_url(MessageAttempt, subscription=subscription.token),
            "messages_url": changelist_url(Message, subscription=subscription.token),
            "health_url": reverse("admin:deliveries_health") + f"?subscription={subscription.token}",
        }


if admin.site.is_registered(EventSubscription):
    admin.site.unregister(EventSubscription)
admin.site.register(EventSubscription, DeliveriesEventSubscriptionAdmin)
