"""Messages (one event x one subscription) and their attempts (one HTTP try each)."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q

from eventhub import tokens
from eventhub.models import Account, Event
from subscriptions.models import EventSubscription


def recovery_job_token() -> str:
    return tokens.new_token("rcv")


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


class MessageQuerySet(models.QuerySet):
    def due(self, now: datetime) -> MessageQuerySet:
        """Waiting and due, or claimed by a worker whose lease ran out (it died or stalled)."""
        return self.filter(next_attempt_at__lte=now).filter(
            Q(status=MessageStatus.PENDING) | Q(status=MessageStatus.SENDING, lease_expires_at__lte=now)
        )


class Message(models.Model):
    """The delivery state of one event to one subscription; the database row is the source of truth.
    `created` is the event's time (also for messages made later by resend or replay_missing), so
    recover's window and retention mean the same events as the event list."""

    token = models.CharField(max_length=40, unique=True, default=tokens.message_token, editable=False)
    # No single-column FK indexes: each column leads a composite index or the unique constraint below,
    # and every index is written on every ingest (db_index=False saves three per message).
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="messages", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages", db_index=False)
    subscription = models.ForeignKey(
        EventSubscription, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
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

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="message_one_per_event_subscription"
            ),
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="message_status_valid"),
        ]
        indexes = [
            # (next_attempt_at, id) is the claim's ORDER BY: with next_attempt_at alone, messages made due
            # at one instant (a recovery, a bulk replay) had to be sorted in full on every claim.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=["PENDING", "SENDING"]),
                name="message_due_order",
            ),
            models.Index(fields=["subscription", "status", "-created"], name="message_subscription_status"),
            models.Index(fields=["account", "-created", "-id"], name="message_account_created"),
            models.Index(fields=["-created", "-id"], name="message_created"),  # staff lists across accounts
            # Small (only in-flight rows): the claim counts them per subscription for the concurrency cap.
            models.Index(
                fields=["subscription", "lease_expires_at"],
                condition=Q(status="SENDING"),
                name="message_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return self.token


class MessageAttempt(models.Model):
    """One HTTP try. Response bodies are stored capped (EVENTHUB_RESPONSE_BODY_CAP)."""

    token = models.CharField(max_length=40, unique=True, default=tokens.attempt_token, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # Covered by the composite indexes below (their leading column), as for Message.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attempts", db_index=False)
    subscription = models.ForeignKey(
        EventSubscription, on_delete=models.CASCADE, related_name="attempts", db_index=False
    )
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
            # Lets the delivery-health aggregates read the index alone (PostgreSQL covering index).
            models.Index(
                fields=["created"],
                include=["subscription", "status", "duration_ms", "response_status_code"],
                name="attempt_health",
            ),
        ]

    def __str__(self) -> str:
        return self.token


class FailureStreak(models.Model):
    """A subscription's current run of failed attempts, so auto-disable needs no scan of attempts:
    `failing_since` is the first failure after the last success (null, or no row, while healthy)."""

    subscription = models.OneToOneField(
        EventSubscription, on_delete=models.CASCADE, primary_key=True, related_name="failure_streak"
    )
    failing_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.subscription_id} failing since {self.failing_since}"


class RecoveryKind(models.TextChoices):
    RECOVER = "recover"
    REPLAY_MISSING = "replay_missing"
    RESEND = "resend"  # a staff bulk resend of chosen messages (any subscriptions, any accounts)


class RecoveryStatus(models.TextChoices):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class RecoveryJob(models.Model):
    """A background delivery job: recover or replay missing (one subscription, a window) or a bulk resend
    (chosen messages). The row makes a repeated request while one runs a no-op, and holds the job's
    progress (total, done, errors), which the admin's jobs page reads."""

    token = models.CharField(max_length=40, unique=True, default=recovery_job_token, editable=False)
    # Null only for a resend of messages from several accounts / subscriptions.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    subscription = models.ForeignKey(
        EventSubscription, on_delete=models.CASCADE, related_name="recovery_jobs", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=RecoveryKind.choices)
    begin = models.DateTimeField(null=True, blank=True)  # recover / replay missing only
    end = models.DateTimeField(null=True, blank=True)
    message_ids = models.JSONField(default=list, blank=True, help_text="Resend: the chosen messages.")
    requested_by = models.CharField(max_length=150, blank=True, default="")
    status = models.CharField(max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.QUEUED)
    messages = models.PositiveIntegerField(default=0, help_text="Messages put back on schedule or created.")
    total = models.PositiveIntegerField(default=0, help_text="Items to process (resend: messages chosen).")
    done = models.PositiveIntegerField(default=0, help_text="Items processed so far.")
    errors = models.PositiveIntegerField(default=0, help_text="Items that could not be processed.")
    error = models.CharField(max_length=500, blank=True, default="")
    created = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["subscription", "kind", "status"], name="recovery_job_active")]

    def __str__(self) -> str:
        if self.kind == RecoveryKind.RESEND:
            return f"resend of {self.total} message(s)"
        return f"{self.kind} {self.subscription_id} [{self.begin:%Y-%m-%d %H:%M}, {self.end:%Y-%m-%d %H:%M})"

    @property
    def percent(self) -> int:
        if self.status == RecoveryStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
