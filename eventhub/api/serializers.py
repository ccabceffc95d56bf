"""Card-issuing dialect shapes for events, event types and accounts (snake_case)."""

from __future__ import annotations

from rest_framework import serializers

from eventhub.models import Account, Event, EventType
from eventhub.services.retention import retention_days
from eventhub.services.validation import IDEMPOTENCY_KEY_MAX


class EventSerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event_type_name")
    caused_by = serializers.SlugRelatedField(slug_field="token", read_only=True)
    payload = serializers.JSONField()

    class Meta:
        model = Event
        fields = ["token", "created", "event_type", "payload", "caused_by"]


class EventWithoutContentSerializer(EventSerializer):
    payload = serializers.SerializerMethodField()

    def get_payload(self, event) -> dict:
        return {}


class EventSubmissionSerializer(serializers.Serializer):
    """Shape only; the ingest service applies the catalog rules (type, size, schema)."""

    event_type = serializers.CharField(max_length=128)
    payload = serializers.JSONField()
    idempotency_key = serializers.CharField(max_length=IDEMPOTENCY_KEY_MAX, required=False, allow_null=True)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)


class EventBatchSerializer(serializers.Serializer):
    events = EventSubmissionSerializer(many=True)
    account_token = serializers.CharField(required=False)


class EventTypeSerializer(serializers.ModelSerializer):
    # The owning account of a type derived from its rule or scheduled configuration; null for the global catalog.
    account_token = serializers.SlugRelatedField(
        source="account", slug_field="token", read_only=True, allow_null=True
    )

    class Meta:
        model = EventType
        fields = [
            "name",
            "category",
            "group",
            "description",
            "schema",
            "schema_mode",
            "example",
            "source_pack",
            "archived",
            "account_token",
            "created",
            "updated",
        ]
        read_only_fields = ["source_pack", "account_token", "created", "updated"]


class AccountSerializer(serializers.ModelSerializer):
    # Optional on create (None: the setting), never null when rendered (see to_representation).
    retention_days = serializers.IntegerField(min_value=0, max_value=9223372036854775807, required=False)

    class Meta:
        model = Account
        fields = ["token", "name", "retention_days", "is_active", "created"]
        read_only_fields = ["token", "created"]

    def to_representation(self, account):
        """`retention_days` is the one in force: the account's own, else the setting read now."""
        data = super().to_representation(account)
        data["retention_days"] = retention_days(account)
        return data


def cursor_body(serializer_class, page, **context) -> dict:
    return {"data": serializer_class(page.items, many=True, context=context).data, "has_more": page.has_more}
