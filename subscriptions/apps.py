from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"

    def ready(self) -> None:
        from eventhub.services.rule_changes import on_rule_change
        from subscriptions.integrations import resync_notification_routes

        # Destinations routed by integration configurations follow their account's rules.
        on_rule_change(resync_notification_routes)
