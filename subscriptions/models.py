"""Event subscriptions: a customer's webhook endpoint, its type filter and its signing secrets."""

from __future__ import annotations

from django.db import models

from eventhub import tokens
from eventhub.models import Account, ActorStamped


class DisabledReason(models.TextChoices):
    MANUAL = "manual"
    GONE = "gone", "endpoint answered 410 Gone"
    FAILING = "failing", "auto-disabled after failures"


class Dialect(models.TextChoices):
    """Which API created the subscription: a card-issuing subscription or a billing webhook destination."""

    CARD_ISSUING = "card_issuing"
    BILLING = "billing"


class EventSubscription(ActorStamped):
    """Secrets are stored encrypted (see subscriptions.secrets); an empty `event_types` means all types."""

    token = models.CharField(max_length=40, unique=True, default=tokens.subscription_token, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="subscriptions")
    url = models.URLField(max_length=2048)
    description = models.TextField(blank=True, default="")
    event_types = models.JSONField(default=list, blank=True)
    disabled = models.BooleanField(default=False)
    disabled_reason = models.CharField(max_length=20, choices=DisabledReason.choices, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # None: EVENTHUB_SUBSCRIPTION_CONCURRENCY, read when messages are claimed (never frozen into a row or migration).
    max_concurrency = models.PositiveIntegerField(null=True, blank=True)
    dialect = models.CharField(max_length=20, choices=Dialect.choices, default=Dialect.CARD_ISSUING)
    # Billing-dialect webhook destination fields (unused by card-issuing subscriptions).
    name = models.CharField(max_length=200, blank=True, default="")
    code = models.CharField(max_length=100, blank=True, default="")
    credentials = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["account", "-created", "-id"], name="subscription_account_created"),
            models.Index(fields=["account", "disabled"], name="subscription_account_enabled"),
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.token})"

    def matches(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class IntegrationConfiguration(ActorStamped):
    """Billing dialect: routes a notification rule's events (`entity_type` Notification, `entity_id` the rule,
    empty = every rule) to a webhook destination, by keeping the destination's `event_types` in sync."""

    token = models.CharField(
        max_length=40, unique=True, default=tokens.integration_config_token, editable=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="integration_configurations")
    name = models.CharField(max_length=200, blank=True, default="")
    destination = models.CharField(max_length=40)
    entity_type = models.CharField(max_length=40)
    entity_id = models.CharField(max_length=40, blank=True, default="")
    subscription = models.ForeignKey(
        EventSubscription, on_delete=models.CASCADE, related_name="integration_configurations"
    )
    config_data = models.JSONField(default=dict, blank=True)
    credentials = models.JSONField(default=dict, blank=True)
    integration_credentials_id = models.CharField(max_length=100, blank=True, default="")
    enabled = models.BooleanField(default=True)
    # The latest delivery outcome of a message it routed, as the billing platform's status values (COMPLETE,
    # AWAITING_RETRY, AUTH_FAILED, ERROR); "" before the first. Written by the deliveries layer only when it
    # changes; `integrations.integration_status` puts it together with enabled and the rule's existence.
    routing_status = models.CharField(max_length=32, blank=True, default="", editable=False)
    routing_status_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["account", "-created", "-id"], name="integration_account_created"),
            models.Index(fields=["account", "entity_type", "entity_id"], name="integration_account_entity"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_type}:{self.entity_id or '*'} -> {self.destination} ({self.token})"
