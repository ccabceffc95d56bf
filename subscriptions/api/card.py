"""/v1/event_subscriptions in the card-issuing dialect."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from eventhub.api.params import CURSOR_PARAMS, cursor_args
from eventhub.api.scoping import acting_account, scoped
from eventhub.api.serializers import cursor_body
from eventhub.errors import InvalidInput
from eventhub.pagination import token_page
from subscriptions import services
from subscriptions.api.serializers import (
    EventSubscriptionSerializer,
    EventSubscriptionWriteSerializer,
    SecretSerializer,
)
from subscriptions.models import EventSubscription

WRITABLE = ("url", "description", "disabled", "event_types")


def subscription_for(request, token: str) -> EventSubscription:
    """The caller's subscription or a 404: another account's tokens are indistinguishable from unknown ones."""
    return get_object_or_404(scoped(EventSubscription.objects.all(), request), token=token)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput(
            "The body must be a JSON object.", {"non_field_errors": ["Expected a JSON object."]}
        )
    return request.data


class SubscriptionListView(APIView):
    @extend_schema(
        operation_id="event_subscriptions_list",
        parameters=CURSOR_PARAMS,
        responses=inline_serializer(
            "EventSubscriptionPage",
            {"data": EventSubscriptionSerializer(many=True), "has_more": serializers.BooleanField()},
        ),
    )
    def get(self, request):
        page = token_page(scoped(EventSubscription.objects.all(), request), **cursor_args(request))
        return Response(cursor_body(EventSubscriptionSerializer, page))

    @extend_schema(
        operation_id="event_subscriptions_create",
        request=EventSubscriptionWriteSerializer,
        responses={201: EventSubscriptionSerializer},
    )
    def post(self, request):
        body = _body(request)
        account = acting_account(request, body.get("account_token"))
        subscription = services.create_subscription(
            account, actor=request.user.api_key, **{k: body[k] for k in WRITABLE if k in body}
        )
        return Response(EventSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailView(APIView):
    @extend_schema(operation_id="event_subscriptions_retrieve", responses=EventSubscriptionSerializer)
    def get(self, request, token: str):
        return Response(EventSubscriptionSerializer(subscription_for(request, token)).data)

    @extend_schema(
        operation_id="event_subscriptions_update",
        request=EventSubscriptionWriteSerializer,
        responses=EventSubscriptionSerializer,
    )
    def patch(self, request, token: str):
        subscription = subscription_for(request, token)
        body = _body(request)
        updated = services.update_subscription(
            subscription, {k: body[k] for k in WRITABLE if k in body}, actor=request.user.api_key
        )
        return Response(EventSubscriptionSerializer(updated).data)

    @extend_schema(operation_id="event_subscriptions_delete", responses={204: None})
    def delete(self, request, token: str):
        services.delete_subscription(subscription_for(request, token), actor=request.user.api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionSecretView(APIView):
    @extend_schema(operation_id="event_subscriptions_secret", responses=SecretSerializer)
    def get(self, request, token: str):
        secret = services.current_secret(subscription_for(request, token), actor=request.user.api_key)
        return Response({"secret": secret})


class SubscriptionSecretRotateView(APIView):
    @extend_schema(operation_id="event_subscriptions_secret_rotate", request=None, responses={204: None})
    def post(self, request, token: str):
        services.rotate_secret(subscription_for(request, token), actor=request.user.api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)
