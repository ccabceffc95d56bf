"""Billing dialect (`/organizations/{orgId}/events`, `/notifications/configurations`): events, event types,
event fields and notification configurations (the hub's notification rules) in camelCase.

Output serializers render hub objects as the billing SDK's models (required fields always present and
non-null, see docs API_COMPAT section 3.4); request serializers check body shapes and map camelCase onto
the services' snake_case arguments (`source=`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from eventhub.api.billing_dialect import (
    IDS,
    PAGE_PARAMS,
    AuditFields,
    BillingView,
    Resource,
    page_body,
    page_of,
    resource_views,
)
from eventhub.api.billing_fields import all_event_fields, event_fields
from eventhub.api.billing_selectors import EVENT_TYPE_GROUPS, billing_events
from eventhub.api.params import truthy
from eventhub.errors import NotFound
from eventhub.models import Account, NotificationRule
from eventhub.selectors import event_type_for, split_csv, visible_event_types
from eventhub.services import rules
from eventhub.services.actions import action_event
from eventhub.services.rules import NOTIFICATION_PREFIX

# --- events --------------------------------------------------------------------------------------

NOT_ACTIONED = datetime(1970, 1, 1, tzinfo=UTC)  # dtActioned of an event waiting for action (see below)


def _state(payload):
    return {k: v for k, v in payload.items() if k != "event_type"} if isinstance(payload, dict) else payload


def m3ter_event(event) -> dict:
    """Entity events carry `{new, old}`; notifications the same for their source event, plus what fired."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    if event.entity_type:
        return {"eventData": {"new": _state(payload), "old": event.previous_state}}
    rule, source = payload.get("rule"), payload.get("source_event")
    if (
        event.event_type_name.startswith(NOTIFICATION_PREFIX)
        and isinstance(rule, dict)
        and isinstance(source, dict)
    ):
        return {
            "eventData": {"new": _state(payload.get("new")), "old": payload.get("old")},
            "notification": {
                "id": rule.get("id"),
                "code": rule.get("code"),
                "name": rule.get("name"),
                "eventName": rule.get("event_name"),
            },
            "source": {"id": source.get("token"), "eventName": source.get("event_type")},
        }
    return {"eventData": _state(payload)}


class EventResponseSerializer(serializers.Serializer):
    id = serializers.CharField(source="token")
    eventName = serializers.CharField(source="event_type_name")
    eventTime = serializers.DateTimeField(source="occurred_at")
    dtActioned = serializers.SerializerMethodField()
    dtCreated = serializers.DateTimeField(source="created")
    causedBy = serializers.SerializerMethodField()
    m3terEvent = serializers.SerializerMethodField()

    actioned = serializers.SerializerMethodField()
    actionedBy = serializers.CharField(source="actioned_by")

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_dtActioned(self, event) -> str:
        """When it was actioned; never null, because the SDK's strict EventResponse requires a datetime:
        an error event still waiting for action shows 1970-01-01T00:00:00Z and `actioned: false`."""
        return serializers.DateTimeField().to_representation(event.dt_actioned or NOT_ACTIONED)

    def get_actioned(self, event) -> bool:
        return not event.awaiting_action

    def get_causedBy(self, event) -> str | None:
        return event.caused_by.token if event.caused_by_id else None

    def get_m3terEvent(self, event) -> dict:
        return m3ter_event(event)


class EventListView(BillingView):
    @extend_schema(
        operation_id="billing_events_list",
        tags=["events"],
        parameters=[
            *PAGE_PARAMS,
            IDS,
            *(
                OpenApiParameter(n, str)
                for n in ("eventName", "accountId", "resourceId", "notificationCode", "notificationId")
            ),
            OpenApiParameter("eventType", str, description=", ".join(EVENT_TYPE_GROUPS)),
            OpenApiParameter(
                "includeActioned",
                bool,
                description="false: only events waiting for action (error events not yet actioned); "
                "true or omitted: every event.",
            ),
        ],
        responses=page_of(EventResponseSerializer),
    )
    def get(self, request, org_id: str):
        params = request.query_params
        queryset = billing_events(
            self.account,
            event_name=params.get("eventName") or None,
            ids=split_csv(params.get("ids")),
            account_id=params.get("accountId") or None,
            resource_id=params.get("resourceId") or None,
            notification_code=params.get("notificationCode") or None,
            notification_id=params.get("notificationId") or None,
            event_type=params.get("eventType") or None,
            include_actioned=truthy(params.get("includeActioned"), "includeActioned", default=True),
        )
        return Response(page_body(EventResponseSerializer, queryset, request))


class EventDetailView(BillingView):
    @extend_schema(operation_id="billing_events_retrieve", tags=["events"], responses=EventResponseSerializer)
    def get(self, request, org_id: str, event_id: str):
        event = billing_events(self.account).filter(token=event_id).first()
        if event is None:
            raise NotFound(f"No event {event_id[:64]!r} in this organization.")
        return Response(EventResponseSerializer(event).data)


class EventActionView(BillingView):
    @extend_schema(
        operation_id="billing_events_action",
        tags=["events"],
        request=None,
        responses=EventResponseSerializer,
        description="Mark an event as followed up and resolved (who and when show in dtActioned and "
        "actionedBy); an event already actioned is returned unchanged.",
    )
    def post(self, request, org_id: str, event_id: str):
        event = billing_events(self.account).filter(token=event_id).first()
        if event is None:
            raise NotFound(f"No event {event_id[:64]!r} in this organization.")
        return Response(EventResponseSerializer(action_event(event, actor=request.user.api_key)).data)


class EventFieldsView(BillingView):
    @extend_schema(
        operation_id="billing_events_get_fields",
        tags=["events"],
        parameters=[OpenApiParameter("eventName", str, required=False)],
        responses=inline_serializer(
            "EventFields",
            {"events": serializers.DictField(child=serializers.DictField(child=serializers.CharField()))},
        ),
    )
    def get(self, request, org_id: str):
        name = request.query_params.get("eventName")
        if not name:  # optional in the SDK: every visible type's fields
            types = visible_event_types(self.account).filter(archived=False).order_by("name")
            return Response({"events": all_event_fields(self.account, types)})
        event_type = event_type_for(self.account, name)  # global or this org's own; never another org's
        if event_type is None:
            raise NotFound(f"No event type named {name[:128]!r} in this organization.")
        return Response({"events": event_fields(self.account, event_type)})


class EventTypesView(BillingView):
    @extend_schema(
        operation_id="billing_events_get_types",
        tags=["events"],
        responses=inline_serializer(
            "EventTypeNames", {"events": serializers.ListField(child=serializers.CharField())}
        ),
    )
    def get(self, request, org_id: str):
        names = visible_event_types(self.account).filter(archived=False).values_list("name", flat=True)
        return Response({"events": sorted(set(names))})


# --- notification configurations ----------------------------------------------------------------


class NotificationConfigurationSerializer(AuditFields):
    id = serializers.CharField(source="token")
    name = serializers.CharField()
    code = serializers.CharField()
    description = serializers.CharField()
    eventName = serializers.CharField(source="event_name")
    calculation = serializers.CharField()
    alwaysFireEvent = serializers.BooleanField(source="always_fire_event")
    active = serializers.BooleanField()


class NotificationConfigurationWrite(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, allow_blank=True)
    eventName = serializers.CharField(source="event_name", max_length=128)
    calculation = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )
    alwaysFireEvent = serializers.BooleanField(source="always_fire_event", required=False)
    active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, allow_null=True)


def _rules(account: Account, params) -> QuerySet[NotificationRule]:
    queryset = NotificationRule.objects.filter(account=account)
    if ids := split_csv(params.get("ids")):
        queryset = queryset.filter(token__in=ids)
    if event_name := params.get("eventName"):
        queryset = queryset.filter(event_name=event_name)
    if params.get("active") not in (None, ""):
        queryset = queryset.filter(active=truthy(params.get("active"), "active"))
    return queryset


NOTIFICATION_CONFIGURATIONS = Resource(
    label="notification configuration",
    queryset=_rules,
    output=NotificationConfigurationSerializer,
    request=NotificationConfigurationWrite,
    create=lambda account, data, actor: rules.create_rule(account, actor=actor, **data),
    update=lambda rule, data, version, actor: rules.update_rule(rule, data, version=version, actor=actor),
    delete=lambda rule, actor: rules.delete_rule(rule, actor=actor),
)
NOTIFICATION_TAG = "notifications"
NOTIFICATION_OPERATION = "billing_notification_configurations"
NotificationConfigurationListView, NotificationConfigurationDetailView = resource_views(
    NOTIFICATION_CONFIGURATIONS,
    operation=NOTIFICATION_OPERATION,
    tag=NOTIFICATION_TAG,
    list_parameters=[*PAGE_PARAMS, IDS, OpenApiParameter("eventName", str), OpenApiParameter("active", bool)],
)
