"""Core tables: tenants and their keys, the event-type catalog, events, entity states, notification rules."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from eventhub import tokens


class ActorStamped(models.Model):
    """Who created and who last changed a configuration object (`services.audit.actor_id`: an API key id or
    `user:<username>`), set by its services; the billing dialect shows them as createdBy/lastModifiedBy.
    Kept on the row so listings need no audit-log lookup (docs/decisions.md)."""

    created_by = models.CharField(max_length=200, blank=True, default="", editable=False)
    last_modified_by = models.CharField(max_length=200, blank=True, default="", editable=False)

    class Meta:
        abstract = True


class Account(models.Model):
    """A tenant. Its token is the billing dialect's orgId; every object belongs to exactly one."""

    token = models.CharField(max_length=40, unique=True, default=tokens.account_token, editable=False)
    name = models.CharField(max_length=200)
    # None: EVENTHUB_DEFAULT_RETENTION_DAYS, read when retention runs (never frozen into a row or migration).
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token})"


class ApiKey(models.Model):
    """An API key, stored as a keyed hash. A staff key (no account) may act for any account."""

    key_id = models.CharField(max_length=40, unique=True, default=tokens.api_key_id, editable=False)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=200, blank=True, default="")
    is_staff = models.BooleanField(default=False)
    prefix = models.CharField(max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(is_staff=True) | Q(account__isnull=False), name="api_key_account_or_staff"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.key_id})"


class EventCategory(models.TextChoices):
    CONFIGURATION = "configuration"
    BILLING = "billing"
    ERROR = "error"
    SCHEDULED = "scheduled"
    NOTIFICATION = "notification"
    OTHER = "other"


class SchemaMode(models.TextChoices):
    STRICT = "strict"
    WARN = "warn"


OWNER_SEPARATOR = "@"  # never in a type name (see services.validation.EVENT_TYPE_NAME)


class EventType(models.Model):
    """A catalog entry: global (`account` NULL: packs and staff-made types) or owned by the account whose
    notification rule or scheduled configuration derived it, and then invisible to every other account.

    Events reference a type by `key`, not by id: a global type's key is its name, an owned type's is
    `<name>@<account token>`. So the wire name is the same in every account (`notification.lowbal`), the
    same name in two accounts is two rows, events of global types (nearly all of them) kept their stored
    value through the migration, and ingest still writes one string with no extra lookup.
    """

    key = models.CharField(max_length=200, unique=True, editable=False)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="event_types", db_index=False
    )  # leads event_type_name_per_account
    name = models.CharField(max_length=128)
    category = models.CharField(max_length=20, choices=EventCategory.choices, default=EventCategory.OTHER)
    # The source catalog's own grouping ("Fact Sheet Relations"): a label for listings and filters, with no
    # behaviour attached (category drives entity events and billing eventType groups; group never does).
    group = models.CharField(max_length=64, blank=True, default="")
    description = models.TextField(blank=True, default="")
    schema = models.JSONField(null=True, blank=True)
    schema_mode = models.CharField(max_length=10, choices=SchemaMode.choices, default=SchemaMode.STRICT)
    example = models.JSONField(default=dict, blank=True)
    source_pack = models.CharField(max_length=64, blank=True, default="")
    archived = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(account__isnull=True), name="event_type_global_name"
            ),
            models.UniqueConstraint(fields=["account", "name"], name="event_type_name_per_account"),
        ]
        indexes = [models.Index(fields=["category", "name"])]

    def __str__(self) -> str:
        return self.name if self.account_id is None else f"{self.name} ({self.account})"

    @staticmethod
    def key_for(name: str, account: Account | None) -> str:
        return name if account is None else f"{name}{OWNER_SEPARATOR}{account.token}"


class Event(models.Model):
    """An immutable record of a state change. `previous_state` is the entity's state before it (rules' `old`)."""

    token = models.CharField(max_length=40, unique=True, default=tokens.event_token, editable=False)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="events", db_index=False
    )  # leads event_account_created
    # Holds EventType.key: the wire name for global types (see EventType); read the name via event_type_name.
    event_type = models.ForeignKey(
        EventType, to_field="key", db_column="event_type", on_delete=models.RESTRICT, related_name="events"
    )
    payload = models.JSONField(default=dict)
    created = models.DateTimeField(db_index=False)
    occurred_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    # NULL, not "", for "no key": the unique constraint only covers rows that have one.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    caused_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="caused"
    )
    entity_type = models.CharField(max_length=100, blank=True, default="")
    entity_id = models.CharField(max_length=255, blank=True, default="")
    previous_state = models.JSONField(null=True, blank=True)
    schema_errors = models.JSONField(null=True, blank=True)
    is_example = models.BooleanField(default=False)
    # Error events wait for someone to action them (eventhub.services.actions); every other event is
    # actioned when processed (at processed_at). Only waiting rows carry the flag, so its partial index
    # holds just the backlog of unactioned errors, and no existing row had to be rewritten to add it.
    awaiting_action = models.BooleanField(default=False, db_default=False)
    actioned_at = models.DateTimeField(null=True, blank=True)
    actioned_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="event_idempotency_key_per_account",
            ),
            models.CheckConstraint(
                condition=Q(awaiting_action=False) | Q(actioned_at__isnull=True),
                name="event_awaiting_action_not_actioned",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-created", "-id"], name="event_account_created"),
            models.Index(
                fields=["account", "event_type", "-created", "-id"], name="event_account_type_created"
            ),
            models.Index(fields=["-created", "-id"], name="event_created"),
            models.Index(fields=["account", "entity_type", "entity_id"], name="event_entity"),
            models.Index(
                fields=["account", "-created", "-id"],
                condition=Q(awaiting_action=True),
                name="event_awaiting_action",
            ),
        ]

    def __str__(self) -> str:
        return self.token

    @property
    def dt_actioned(self) -> datetime | None:
        """When it was actioned: by someone (error events), else when processed; None while it waits."""
        if self.awaiting_action:
            return None
        return self.actioned_at or self.processed_at or self.created

    @property
    def event_type_name(self) -> str:
        """The type's wire name, without a join: the key minus an owner suffix."""
        return self.event_type_id.partition(OWNER_SEPARATOR)[0]


class Entity(models.Model):
    """Latest known state of a producer entity, kept so rules and schedules can see `old` and dates."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="entities")
    entity_type = models.CharField(max_length=100)
    entity_id = models.CharField(max_length=255)
    data = models.JSONField(default=dict)
    deleted = models.BooleanField(default=False)
    state_at = models.DateTimeField()
    last_event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "entity_type", "entity_id"], name="entity_unique_per_account"
            )
        ]
        indexes = [models.Index(fields=["entity_type", "account", "deleted"], name="entity_type_live")]

    def __str__(self) -> str:
        return f"{self.entity_type}:{self.entity_id}"


class NotificationRule(ActorStamped):
    """When an event of `event_name` arrives and the rule holds, the hub emits `notification.<code>`."""

    token = models.CharField(max_length=40, unique=True, default=tokens.rule_token, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notification_rules")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    event_name = models.CharField(max_length=128)
    calculation = models.TextField(blank=True, default="")
    always_fire_event = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "code"], name="rule_code_per_account")]
        indexes = [models.Index(fields=["account", "event_name", "active"], name="rule_account_event")]

    def __str__(self) -> str:
        return f"{self.code} on {self.event_name}"


class AuditLogEntry(models.Model):
    """Who did what to which object, for staff actions (resend, recover, rotate, disable, key changes)."""

    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_token = models.CharField(max_length=64, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["object_token"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_token}"
