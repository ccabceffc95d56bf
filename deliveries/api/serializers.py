"""Card-issuing dialect shapes of delivery objects (MessageAttempt, API_COMPAT section 2.4)."""

from __future__ import annotations

from rest_framework import serializers

from deliveries.models import AttemptStatus, MessageAttempt


class MessageAttemptSerializer(serializers.ModelSerializer):
    """Required fields are never null: `response` is "" and `response_status_code` 0 when nothing came back."""

    event_subscription_token = serializers.CharField(source="subscription.token")
    event_token = serializers.CharField(source="event.token")
    response = serializers.CharField(source="response_body")
    status = serializers.ChoiceField(choices=AttemptStatus.choices)

    class Meta:
        model = MessageAttempt
        fields = [
            "token",
            "created",
            "event_subscription_token",
            "event_token",
            "response",
            "response_status_code",
            "status",
            "url",
        ]


class SendExampleSerializer(serializers.Serializer):
    event_type = serializers.CharField(max_length=128, required=False, allow_null=True, allow_blank=True)
