"""Card-issuing dialect shapes for events, event types and accounts (snake_case)."""
from __future__ import annotations

from rest_framework import serializers

from eventhub.models import Account, Event, EventType
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
    account_token = serializers.SlugRelatedField(source="account", slug_field="token", read_only=True, allow_null=True)

    class Meta:
        model = EventType
        fields = ["name", "category", "group", "description", "schema", "schema_mode", "example", "source_pack", "archived", "account_token", "created", "updated"]
        read_only_fields = ["source_pack", "account_token", "created", "updated"]


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["token", "name", "retention_days", "is_active", "created"]
        read_only_fields = ["token", "created"]


def cursor_body(serializer_class, page, **context) -> dict:
    return {"data": serializer_class(page.items, many=True, context=context).data, "has_more": page.has_more}
