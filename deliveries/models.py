"""Messages (one event x one subscription) and their attempts (one HTTP try each)."""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from eventhub import tokens
from eventhub.models import Account, Event
from subscriptions.models import EventSubscription


class MessageStatus(models.TextChoices):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


class AttemptStatus(models.TextChoices):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


class Message(models.Model):
    """The delivery state of one event to one subscription; the database row is the source of truth."""

    token = models.CharField(max_length=40, unique=True, default=tokens.message_token, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages")
    subscription = models.ForeignKey(EventSubscription, on_delete=models.CASCADE, related_name="messages")
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # Position in the retry schedule; a resend or recover restarts it without erasing attempt_count.
    schedule_step = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    is_example = models.BooleanField(default=False)
    created = models.DateTimeField()

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="message_one_per_event_subscription"),
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="message_status_valid"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["PENDING", "SENDING"]),
                name="message_due",
            ),
            models.Index(fields=["subscription", "status", "-created"], name="message_subscription_status"),
            models.Index(fields=["account", "-created", "-id"], name="message_account_created"),
        ]

    def __str__(self) -> str:
        return self.token


class MessageAttempt(models.Model):
    """One HTTP try. Response bodies are stored capped (EVENTHUB_RESPONSE_BODY_CAP)."""

    token = models.CharField(max_length=40, unique=True, default=tokens.attempt_token, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attempts")
    subscription = models.ForeignKey(EventSubscription, on_delete=models.CASCADE, related_name="attempts")
    status = models.CharField(max_length=10, choices=AttemptStatus.choices)
    url = models.URLField(max_length=2048)
    response_status_code = models.PositiveIntegerField(default=0)
    response_body = models.TextField(blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    created = models.DateTimeField()

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=AttemptStatus.values), name="attempt_status_valid"),
        ]
        indexes = [
            models.Index(fields=["subscription", "-created", "-id"], name="attempt_subscription_created"),
            models.Index(fields=["event", "-created", "-id"], name="attempt_event_created"),
            models.Index(fields=["message", "-created"], name="attempt_message_created"),
            models.Index(fields=["-created", "-id"], name="attempt_created"),
        ]

    def __str__(self) -> str:
        return self.token
