"""Card-issuing dialect shape of a subscription: description is "" not null; empty types render as null."""

from __future__ import annotations

from rest_framework import serializers

from subscriptions.models import EventSubscription


class EventSubscriptionSerializer(serializers.ModelSerializer):
    event_types = serializers.SerializerMethodField()

    class Meta:
        model = EventSubscription
        fields = ["token", "url", "description", "disabled", "event_types", "disabled_reason", "created"]

    def get_event_types(self, subscription) -> list[str] | None:
        return subscription.event_types or None


class EventSubscriptionWriteSerializer(serializers.Serializer):
    """Documents the request body; the service validates values (URL policy, known types)."""

    url = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    disabled = serializers.BooleanField(required=False)
    event_types = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    account_token = serializers.CharField(required=False)


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(allow_null=True)
