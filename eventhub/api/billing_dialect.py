"""Billing-dialect views: resolve the org, parse, call one service or selector, render camelCase.

CRUD resources share two generic views configured by `resources.Resource`; m3ter answers a create, an
update and a delete with the object (200), and pages with `{data, nextToken}`.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from eventhub.api.scoping import for_org
from eventhub.api.views import truthy
from eventhub.billing import resources, selectors
from eventhub.billing.fields import event_fields
from eventhub.billing.serializers import (
    EventResponseSerializer,
    IntegrationConfigurationSerializer,
    WebhookSerializer,
)
from eventhub.errors import HubError, InvalidInput, NotFound
from eventhub.models import Account
from eventhub.pagination import next_token_page, parse_page_size
from eventhub.selectors import event_type_for, split_csv, visible_event_types
from subscriptions import integrations

PAGE_PARAMS = [
    OpenApiParameter("pageSize", int, description="1-200, default 20"),
    OpenApiParameter("nextToken", str, description="The nextToken of the previous page."),
]
MAX_PAGE_SIZE = 200


def camel(key: str) -> str:
    """`event_name` -> `eventName`, per dotted segment, so service errors name the fields as sent."""

    def one(part: str) -> str:
        head, *rest = part.split("_")
        return head + "".join(word[:1].upper() + word[1:] for word in rest)

    return ".".join(one(part) for part in key.split("."))


class BillingView(APIView):
    """Every route is under /organizations/{orgId}: the key must belong to it (403 otherwise)."""

    account: Account

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        values = [*kwargs.values(), *request.query_params.keys(), *request.query_params.values()]
        if any("\x00" in str(value) for value in values):
            raise InvalidInput("The path and query must not contain NUL characters.")
        self.account = for_org(request, kwargs["org_id"])

    def handle_exception(self, exc):
        if isinstance(exc, HubError) and exc.errors:
            first = next(iter(exc.errors))
            if exc.message.startswith(f"{first}:"):  # services lead with the first failing field
                exc.message = camel(first) + exc.message[len(first) :]
            exc.errors = {camel(key): messages for key, messages in exc.errors.items()}
        return super().handle_exception(exc)


def page_body(serializer_class, queryset, request) -> dict:
    params = request.query_params
    items, next_token = next_token_page(
        queryset,
        page_size=parse_page_size(params.get("pageSize"), field="pageSize", maximum=MAX_PAGE_SIZE),
        next_token=params.get("nextToken") or None,
    )
    body = {"data": serializer_class(items, many=True).data}
    if next_token:
        body["nextToken"] = next_token
    return body


def parse_body(serializer_class, request) -> tuple[dict, int | None]:
    """Shape-check a body; returns the services' keyword arguments and the optimistic `version`."""
    if not isinstance(request.data, dict):
        raise InvalidInput("The body must be a JSON object.", {"nonFieldErrors": ["Expected a JSON object."]})
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in body.validated_data.items()}
    return data, data.pop("version", None)


def page_of(serializer_class) -> serializers.Serializer:
    name = serializer_class.__name__.removesuffix("Serializer") + "Page"
    return inline_serializer(
        name, {"data": serializer_class(many=True), "nextToken": serializers.CharField(required=False)}
    )


class ResourceListView(BillingView):
    resource: resources.Resource

    def get(self, request, org_id: str):
        return Response(
            page_body(
                self.resource.output, self.resource.queryset(self.account, request.query_params), request
            )
        )

    def post(self, request, org_id: str):
        data, _version = parse_body(self.resource.request, request)  # a create always starts at version 1
        created = self.resource.create(self.account, data, request.user.api_key)
        return Response(self.resource.output(created).data)


def object_or_404(resource: resources.Resource, account: Account, object_id: str):
    found = resource.queryset(account, {}).filter(token=object_id).first()
    if found is None:
        raise NotFound(f"No {resource.label} {object_id[:64]!r} in this organization.")
    return found


class ResourceDetailView(BillingView):
    resource: resources.Resource

    def get(self, request, org_id: str, object_id: str):
        return Response(self.resource.output(object_or_404(self.resource, self.account, object_id)).data)

    def put(self, request, org_id: str, object_id: str):
        target = object_or_404(self.resource, self.account, object_id)
        data, version = parse_body(self.resource.request, request)
        return Response(self.resource.output(self.resource.update(target, data, version, request.user.api_key)).data)

    def delete(self, request, org_id: str, object_id: str):
        target = object_or_404(self.resource, self.account, object_id)
        return Response(self.resource.output(self.resource.delete(target, request.user.api_key)).data)


def _documented(method, tag: str, **schema):
    """A per-view copy of a shared handler: extend_schema annotates the function object it is given."""

    def handler(self, *args, **kwargs):
        return method(self, *args, **kwargs)

    handler.__name__, handler.__doc__ = method.__name__, method.__doc__
    return extend_schema(tags=[tag], **schema)(handler)


def resource_views(
    resource: resources.Resource, slug: str, tag: str, extra_params: list | None = None
) -> tuple[type, type]:
    """A list/create view and a retrieve/update/delete view for `resource`, documented for OpenAPI."""
    prefix = resource.output.__name__.removesuffix("Serializer")
    out, body, op = resource.output, resource.request, f"billing_{slug}"
    list_params = [*PAGE_PARAMS, *(extra_params or [])]
    list_view = type(
        f"{prefix}ListView",
        (ResourceListView,),
        {
            "resource": resource,
            "get": _documented(
                ResourceListView.get,
                tag,
                operation_id=f"{op}_list",
                parameters=list_params,
                responses=page_of(out),
            ),
            "post": _documented(
                ResourceListView.post, tag, operation_id=f"{op}_create", request=body, responses=out
            ),
        },
    )
    detail_view = type(
        f"{prefix}DetailView",
        (ResourceDetailView,),
        {
            "resource": resource,
            "get": _documented(ResourceDetailView.get, tag, operation_id=f"{op}_retrieve", responses=out),
            "put": _documented(
                ResourceDetailView.put, tag, operation_id=f"{op}_update", request=body, responses=out
            ),
            "delete": _documented(ResourceDetailView.delete, tag, operation_id=f"{op}_delete", responses=out),
        },
    )
    return list_view, detail_view


IDS = OpenApiParameter("ids", str, description="Comma-separated ids.")
ScheduledListView, ScheduledDetailView = resource_views(
    resources.SCHEDULED_EVENT_CONFIGURATIONS, "scheduled_event_configurations", "scheduled events", [IDS]
)
NotificationListView, NotificationDetailView = resource_views(
    resources.NOTIFICATION_CONFIGURATIONS,
    "notification_configurations",
    "notifications",
    [IDS, OpenApiParameter("eventName", str), OpenApiParameter("active", bool)],
)
WebhookListView, WebhookDetailView = resource_views(
    resources.WEBHOOKS, "webhooks", "webhook destinations", [IDS]
)
IntegrationListView, IntegrationDetailView = resource_views(
    resources.INTEGRATION_CONFIGURATIONS,
    "integration_configurations",
    "integration configurations",
    [OpenApiParameter("destinationId", str)],
)


class WebhookActiveView(BillingView):
    @extend_schema(
        operation_id="billing_webhooks_set_active",
        tags=["webhook destinations"],
        request=None,
        parameters=[OpenApiParameter("active", bool)],
        responses=WebhookSerializer,
    )
    def put(self, request, org_id: str, object_id: str):
        webhook = object_or_404(resources.WEBHOOKS, self.account, object_id)
        active = truthy(request.query_params.get("active"), "active", default=True)
        updated = integrations.set_webhook_active(webhook, active, actor=request.user.api_key)
        return Response(WebhookSerializer(updated).data)


class IntegrationEnableView(BillingView):
    @extend_schema(
        operation_id="billing_integration_configurations_enable",
        tags=["integration configurations"],
        request=None,
        responses=IntegrationConfigurationSerializer,
    )
    def post(self, request, org_id: str, object_id: str):
        config = object_or_404(resources.INTEGRATION_CONFIGURATIONS, self.account, object_id)
        return Response(IntegrationConfigurationSerializer(integrations.enable_integration(config)).data)


class IntegrationByEntityView(BillingView):
    @extend_schema(
        operation_id="billing_integration_configurations_get_by_entity",
        tags=["integration configurations"],
        parameters=[OpenApiParameter(n, str) for n in ("destination", "destinationId", "entityId")],
        responses=IntegrationConfigurationSerializer,
    )
    def get(self, request, org_id: str, entity_type: str):
        params = request.query_params
        config = integrations.integration_for_entity(
            self.account,
            entity_type,
            destination=params.get("destination") or None,
            destination_id=params.get("destinationId") or None,
            entity_id=params.get("entityId") or None,
        )
        return Response(IntegrationConfigurationSerializer(config).data)


# --- events ---------------------------------------------------------------------------------------


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
            OpenApiParameter("eventType", str, description=", ".join(selectors.EVENT_TYPE_GROUPS)),
            OpenApiParameter(
                "includeActioned",
                bool,
                description="Accepted for compatibility: every hub event is actioned when processed.",
            ),
        ],
        responses=page_of(EventResponseSerializer),
    )
    def get(self, request, org_id: str):
        params = request.query_params
        truthy(params.get("includeActioned"), "includeActioned")
        queryset = selectors.billing_events(
            self.account,
            event_name=params.get("eventName") or None,
            ids=split_csv(params.get("ids")),
            account_id=params.get("accountId") or None,
            resource_id=params.get("resourceId") or None,
            notification_code=params.get("notificationCode") or None,
            notification_id=params.get("notificationId") or None,
            event_type=params.get("eventType") or None,
        )
        return Response(page_body(EventResponseSerializer, queryset, request))


class EventDetailView(BillingView):
    @extend_schema(operation_id="billing_events_retrieve", tags=["events"], responses=EventResponseSerializer)
    def get(self, request, org_id: str, event_id: str):
        event = selectors.billing_events(self.account).filter(token=event_id).first()
        if event is None:
            raise NotFound(f"No event {event_id[:64]!r} in this organization.")
        return Response(EventResponseSerializer(event).data)


class EventFieldsView(BillingView):
    @extend_schema(
        operation_id="billing_events_get_fields",
        tags=["events"],
        parameters=[OpenApiParameter("eventName", str, required=True)],
        responses=inline_serializer(
            "EventFields",
            {"events": serializers.DictField(child=serializers.DictField(child=serializers.CharField()))},
        ),
    )
    def get(self, request, org_id: str):
        name = request.query_params.get("eventName")
        if not name:
            raise InvalidInput("eventName is required.", {"eventName": ["Name the event type."]})
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
