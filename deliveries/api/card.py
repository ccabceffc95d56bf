"""Card-issuing dialect views for attempts, resend, recover, replay missing and send example:
parse, authorize (account scoping: another account's objects are 404), call a service, render."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from deliveries import selectors
from deliveries.api.serializers import MessageAttemptSerializer, SendExampleSerializer
from deliveries.models import AttemptStatus
from deliveries.services import recovery
from eventhub.api.params import CURSOR_PARAMS, TIME_PARAMS, cursor_args
from eventhub.api.scoping import scoped
from eventhub.api.serializers import cursor_body
from eventhub.errors import InvalidInput
from eventhub.models import Event
from eventhub.pagination import token_page
from eventhub.timeparse import parse_query_datetime
from subscriptions.api.card import subscription_for

ATTEMPT_PAGE = inline_serializer(
    "MessageAttemptPage",
    {"data": MessageAttemptSerializer(many=True), "has_more": serializers.BooleanField()},
)
ATTEMPT_PARAMS = [*TIME_PARAMS, *CURSOR_PARAMS, OpenApiParameter("status", str, enum=AttemptStatus.values)]
WINDOW_PARAMS = [
    OpenApiParameter("begin", str, description="RFC 3339; default: end minus EVENTHUB_RECOVERY_MAX_DAYS."),
    OpenApiParameter(
        "end", str, description="RFC 3339; default: now. At most EVENTHUB_RECOVERY_MAX_DAYS after begin."
    ),
]


def _filters(request) -> dict:
    params = request.query_params
    return {
        "begin": parse_query_datetime(params.get("begin"), "begin"),
        "end": parse_query_datetime(params.get("end"), "end"),
        "status": params.get("status") or None,
    }


def _event_for(request, token: str) -> Event:
    return get_object_or_404(scoped(Event.objects.all(), request), token=token)


class EventAttemptsView(APIView):
    @extend_schema(operation_id="events_list_attempts", parameters=ATTEMPT_PARAMS, responses=ATTEMPT_PAGE)
    def get(self, request, event_token: str):
        attempts = selectors.attempts_for_event(_event_for(request, event_token), **_filters(request))
        return Response(cursor_body(MessageAttemptSerializer, token_page(attempts, **cursor_args(request))))


class SubscriptionAttemptsView(APIView):
    @extend_schema(
        operation_id="event_subscriptions_list_attempts", parameters=ATTEMPT_PARAMS, responses=ATTEMPT_PAGE
    )
    def get(self, request, token: str):
        attempts = selectors.attempts_for_subscription(subscription_for(request, token), **_filters(request))
        return Response(cursor_body(MessageAttemptSerializer, token_page(attempts, **cursor_args(request))))


class ResendView(APIView):
    @extend_schema(operation_id="events_resend", request=None, responses={202: None})
    def post(self, request, event_token: str, token: str):
        recovery.resend(
            _event_for(request, event_token), subscription_for(request, token), actor=request.user.api_key
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class _WindowRequestView(APIView):
    """A background request over [begin, end) for one subscription: `service` is the recovery function."""

    service = None

    def post(self, request, token: str):
        window = _filters(request)
        type(self).service(
            subscription_for(request, token), window["begin"], window["end"], actor=request.user.api_key
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class RecoverView(_WindowRequestView):
    service = recovery.recover

    @extend_schema(
        operation_id="event_subscriptions_recover",
        parameters=WINDOW_PARAMS,
        request=None,
        responses={202: None},
        description="Resend every message in [begin, end) whose attempts all failed. Runs in the background; "
        "asking again while it runs is accepted and does not duplicate work.",
    )
    def post(self, request, token: str):
        return super().post(request, token)


class ReplayMissingView(_WindowRequestView):
    service = recovery.replay_missing

    @extend_schema(
        operation_id="event_subscriptions_replay_missing",
        parameters=WINDOW_PARAMS,
        request=None,
        responses={202: None},
        description="Deliver every event in [begin, end) that matches the subscription but was never sent to it. "
        "Runs in the background; idempotent.",
    )
    def post(self, request, token: str):
        return super().post(request, token)


class SendExampleView(APIView):
    @extend_schema(
        operation_id="event_subscriptions_send_example", request=SendExampleSerializer, responses={202: None}
    )
    def post(self, request, token: str):
        subscription = subscription_for(request, token)
        if request.data is not None and not isinstance(request.data, dict):
            raise InvalidInput(
                "The body must be a JSON object.", {"non_field_errors": ["Expected a JSON object."]}
            )
        body = SendExampleSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        recovery.send_example(
            subscription, body.validated_data.get("event_type") or None, actor=request.user.api_key
        )
        return Response(status=status.HTTP_202_ACCEPTED)
