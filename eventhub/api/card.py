"""Card-issuing dialect views for events, the catalog and accounts: parse, authorize, call a service, render."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from eventhub import selectors
from eventhub.api.event_batch import event_bodies, validated_event, validated_event_batch
from eventhub.api.lean_publish import published_response
from eventhub.api.params import CURSOR_PARAMS, TIME_PARAMS, cursor_args, truthy
from eventhub.api.permissions import IsStaffKey, ReadOrStaffWrite
from eventhub.api.scoping import acting_account, caller_account, scoped
from eventhub.api.serializers import (
    AccountSerializer,
    EventSerializer,
    EventSubmissionSerializer,
    EventTypeSerializer,
    EventWithoutContentSerializer,
    cursor_body,
)
from eventhub.errors import InvalidInput, NotFound
from eventhub.models import Account, Event
from eventhub.pagination import Page, token_page
from eventhub.services import catalog
from eventhub.services.accounts import create_account_with_key
from eventhub.services.ingest import Submission, publish_batch
from eventhub.timeparse import parse_query_datetime


def known_type_names(account, names: list[str]) -> list[str]:
    """A name the caller's catalog does not have is a typo, not an empty page: a 400 that names it."""
    if not names:
        return names
    known = set(selectors.visible_event_types(account).filter(name__in=names).values_list("name", flat=True))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidInput(
            f"event_types: {unknown[0]!r} is not an event type of this catalog.",
            {"event_types": [f"Unknown event type: {name}." for name in unknown]},
        )
    return names


class EventListView(APIView):
    @extend_schema(
        operation_id="events_list",
        parameters=[
            *TIME_PARAMS,
            *CURSOR_PARAMS,
            OpenApiParameter("event_types", str, description="Comma-separated event type names."),
            OpenApiParameter("with_content", bool),
        ],
        responses=inline_serializer(
            "EventPage", {"data": EventSerializer(many=True), "has_more": serializers.BooleanField()}
        ),
    )
    def get(self, request):
        params = request.query_params
        account = caller_account(request)
        queryset = selectors.events_for(
            account,
            begin=parse_query_datetime(params.get("begin"), "begin"),
            end=parse_query_datetime(params.get("end"), "end"),
            event_types=known_type_names(account, selectors.split_csv(params.get("event_types"))),
        ).select_related("caused_by")
        page = token_page(queryset, **cursor_args(request))
        with_content = truthy(params.get("with_content"), "with_content", default=True)
        return Response(cursor_body(EventSerializer if with_content else EventWithoutContentSerializer, page))

    @extend_schema(
        operation_id="events_publish",
        request=EventSubmissionSerializer,
        responses={201: EventSerializer, 200: EventSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, location=OpenApiParameter.HEADER)],
        description='Publish one event, or a batch with `{"events": [...]}` (up to EVENTHUB_MAX_BATCH_SIZE). '
        "A batch is all-or-nothing; errors name the failing item, e.g. `events[3].payload.amount`.",
    )
    def post(self, request):
        if isinstance(request.data, dict) and "events" in request.data:
            return self._publish_batch(request)
        data = validated_event(request.data)
        account = acting_account(
            request, request.data.get("account_token") if isinstance(request.data, dict) else None
        )
        return published_response(account, data, request.headers.get("Idempotency-Key"))

    def _publish_batch(self, request):
        from django.conf import settings

        items = request.data.get("events")
        if isinstance(items, list) and len(items) > settings.EVENTHUB_MAX_BATCH_SIZE:
            raise InvalidInput(
                f"A batch holds at most {settings.EVENTHUB_MAX_BATCH_SIZE} events; got {len(items)}.",
                {"events": [f"At most {settings.EVENTHUB_MAX_BATCH_SIZE} items."]},
            )
        body = validated_event_batch(request.data)
        account = acting_account(request, body.get("account_token"))
        submissions = [
            Submission(i["event_type"], i["payload"], i.get("idempotency_key"), i.get("occurred_at"))
            for i in body["events"]
        ]
        if not submissions:
            raise InvalidInput("events must not be empty.", {"events": ["At least one event is required."]})
        results = publish_batch(account, submissions)
        created = any(r.created for r in results)
        return Response(
            {"data": event_bodies([r.event for r in results])},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class EventDetailView(APIView):
    @extend_schema(operation_id="events_retrieve", responses=EventSerializer)
    def get(self, request, event_token: str):
        event = get_object_or_404(
            scoped(Event.objects.select_related("caused_by"), request), token=event_token
        )
        return Response(EventSerializer(event).data)


def _name_page(queryset, request) -> Page:
    """The catalog pages by name (ascending), with the same cursor parameters. An account sees each name
    once; a staff list may hold one name in several accounts, ordered by key after the name."""
    args = cursor_args(request)
    if args["ending_before"]:
        rows = list(
            queryset.filter(name__lt=args["ending_before"]).order_by("-name", "-key")[: args["page_size"] + 1]
        )
        return Page(list(reversed(rows[: args["page_size"]])), len(rows) > args["page_size"])
    if args["starting_after"]:
        queryset = queryset.filter(name__gt=args["starting_after"])
    rows = list(queryset.order_by("name", "key")[: args["page_size"] + 1])
    return Page(rows[: args["page_size"]], len(rows) > args["page_size"])


class EventTypeListView(APIView):
    permission_classes = [ReadOrStaffWrite]

    @extend_schema(
        operation_id="event_types_list",
        parameters=[
            *CURSOR_PARAMS,
            OpenApiParameter("category", str),
            OpenApiParameter("include_archived", bool),
        ],
        responses=inline_serializer(
            "EventTypePage", {"data": EventTypeSerializer(many=True), "has_more": serializers.BooleanField()}
        ),
    )
    def get(self, request):
        """Global types plus the caller's own; a staff key that names no account lists every owner's."""
        queryset = selectors.visible_event_types(caller_account(request)).select_related("account")
        if category := request.query_params.get("category"):
            queryset = queryset.filter(category=category)
        if not truthy(request.query_params.get("include_archived"), "include_archived"):
            queryset = queryset.filter(archived=False)
        return Response(cursor_body(EventTypeSerializer, _name_page(queryset, request)))

    @extend_schema(
        operation_id="event_types_create", request=EventTypeSerializer, responses={201: EventTypeSerializer}
    )
    def post(self, request):
        data = dict(request.data)
        fields = {k: v for k, v in data.items() if k in catalog.EDITABLE_FIELDS}
        event_type = catalog.create_event_type(data.get("name"), actor=request.user.api_key, **fields)
        return Response(EventTypeSerializer(event_type).data, status=status.HTTP_201_CREATED)


class EventTypeDetailView(APIView):
    permission_classes = [ReadOrStaffWrite]

    @extend_schema(operation_id="event_types_retrieve", responses=EventTypeSerializer)
    def get(self, request, name: str):
        event_type = selectors.event_type_for(caller_account(request), name)
        if event_type is None:
            raise NotFound(f"No event type named {name[:128]!r}.")
        return Response(EventTypeSerializer(event_type).data)

    @extend_schema(
        operation_id="event_types_update", request=EventTypeSerializer, responses=EventTypeSerializer
    )
    def patch(self, request, name: str):
        changed = catalog.update_event_type(
            name, dict(request.data), account=caller_account(request), actor=request.user.api_key
        )
        return Response(EventTypeSerializer(changed).data)


class AccountListView(APIView):
    permission_classes = [IsStaffKey]

    @extend_schema(
        operation_id="accounts_list",
        parameters=CURSOR_PARAMS,
        responses=inline_serializer(
            "AccountPage", {"data": AccountSerializer(many=True), "has_more": serializers.BooleanField()}
        ),
    )
    def get(self, request):
        return Response(
            cursor_body(AccountSerializer, token_page(Account.objects.all(), **cursor_args(request)))
        )

    @extend_schema(
        operation_id="accounts_create",
        request=inline_serializer("AccountCreate", {"name": serializers.CharField()}),
        responses={
            201: inline_serializer(
                "AccountCreated",
                {
                    "token": serializers.CharField(),
                    "api_key": serializers.CharField(),
                    "key_id": serializers.CharField(),
                },
            )
        },
    )
    def post(self, request):
        body = AccountSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        account, issued = create_account_with_key(body.validated_data["name"])
        return Response(
            {**AccountSerializer(account).data, "api_key": issued.raw_key, "key_id": issued.api_key.key_id},
            status=status.HTTP_201_CREATED,
        )
