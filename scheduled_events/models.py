"""Scheduled event configurations (date field + offset) and their per-entity occurrences."""

from __future__ import annotations

from django.db import models

from eventhub import tokens
from eventhub.models import Account, ActorStamped, Event


class ScheduledEventConfiguration(ActorStamped):
    """Fires `name` for each entity of `entity` at `<field> + offset days` (DESIGN section 5)."""

    token = models.CharField(
        max_length=40, unique=True, default=tokens.scheduled_config_token, editable=False
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="scheduled_event_configurations"
    )
    name = models.CharField(max_length=128)
    entity = models.CharField(max_length=100)
    field = models.CharField(max_length=200)
    offset = models.IntegerField(help_text="Days; negative fires before the date.")
    active = models.BooleanField(default=True)
    backfill = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    # The version whose occurrences the scheduler has fully planned; behind `version` means "replan all".
    planned_version = models.PositiveIntegerField(default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="scheduled_config_name_per_account")
        ]
        indexes = [models.Index(fields=["account", "-created", "-id"], name="scheduled_config_account")]

    def __str__(self) -> str:
        return self.name


class ScheduledOccurrence(models.Model):
    """One planned firing; the unique constraint makes concurrent scheduler runs fire it once."""

    # No index of its own: the unique constraint below starts with it (one index less per planned row).
    configuration = models.ForeignKey(
        ScheduledEventConfiguration, on_delete=models.CASCADE, related_name="occurrences", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    entity_id = models.CharField(max_length=255)
    fire_at = models.DateTimeField()
    fired_event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fire_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["configuration", "entity_id", "fire_at"],
                name="occurrence_once_per_config_entity_time",
            )
        ]
        indexes = [
            models.Index(
                fields=["fire_at"],
                condition=models.Q(fired_at__isnull=True, cancelled=False),
                name="occurrence_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.configuration.name} {self.entity_id} @ {self.fire_at:%Y-%m-%d %H:%M}"


class SchedulerState(models.Model):
    """The planner's bookkeeping row: its watermark, last full reconciliation, and a lease so one run plans at a time."""

    name = models.CharField(max_length=50, unique=True)
    watermark = models.DateTimeField(
        null=True, blank=True, help_text="Entities changed after this were replanned."
    )
    full_pass_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return self.name
