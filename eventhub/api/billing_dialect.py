"""The billing-platform dialect's plumbing (`/organizations/{orgId}/...`), shared by the billing views of
every app: org scoping, camelCase error fields, `{data, nextToken}` pages, and the two generic CRUD views.

Each app declares its resources (`Resource`) and names one list view and one detail view per resource in
its own `api/billing.py`; this module knows no app above eventhub. m3ter answers a create, an update and a
delete with the object (200).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from eventhub.api.scoping import for_org
from eventhub.errors import HubError, InvalidInput, NotFound
from eventhub.models import Account, ApiKey
from eventhub.pagination import next_token_page, parse_page_size

PAGE_PARAMS = [
    OpenApiParameter("pageSize", int, description="1-200, default 20"),
    OpenApiParameter("nextToken", str, description="The nextToken of the previous page."),
]
IDS = OpenApiParameter("ids", str, description="Comma-separated ids.")
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


# The id of who acted (services.audit.actor_id), null when unknown: made by the hub itself or before stamps.
# (Comments, not docstrings, on the classes below: drf-spectacular would publish a docstring as the OpenAPI
# description.)
class ActorIdField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return value or None


# The version, timestamps and authors every billing-dialect configuration object carries.
class AuditFields(serializers.Serializer):
    version = serializers.IntegerField()
    dtCreated = serializers.DateTimeField(source="created")
    dtLastModified = serializers.DateTimeField(source="updated")
    createdBy = ActorIdField(source="created_by")
    lastModifiedBy = ActorIdField(source="last_modified_by")


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
    """The OpenAPI shape of a `{data, nextToken}` page of `serializer_class`."""
    name = serializer_class.__name__.removesuffix("Serializer") + "Page"
    return inline_serializer(
        name, {"data": serializer_class(many=True), "nextToken": serializers.CharField(required=False)}
    )


@dataclass(frozen=True)
class Resource:
    """One CRUD resource of the dialect: how to scope and filter it, which serializers shape it, and which
    service performs each write. The generic views below do the HTTP part."""

    label: str
    queryset: Callable[[Account, Any], QuerySet]  # (account, query params) -> scoped, filtered rows
    output: type[serializers.Serializer]
    request: type[serializers.Serializer]
    # Writes take the acting API key last; services audit for it and stamp createdBy/lastModifiedBy.
    create: Callable[[Account, dict, ApiKey], Model]
    update: Callable[[Model, dict, int | None, ApiKey], Model]
    delete: Callable[[Model, ApiKey], Model]


def object_or_404(resource: Resource, account: Account, object_id: str):
    found = resource.queryset(account, {}).filter(token=object_id).first()
    if found is None:
        raise NotFound(f"No {resource.label} {object_id[:64]!r} in this organization.")
    return found


# List (a page) and create; a subclass names its `resource` and documents `get`/`post`.
class ResourceListView(BillingView):
    resource: Resource

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


# Retrieve, update (optimistic `version`) and delete; a subclass names its `resource` and documents them.
class ResourceDetailView(BillingView):
    resource: Resource

    def get(self, request, org_id: str, object_id: str):
        return Response(self.resource.output(object_or_404(self.resource, self.account, object_id)).data)

    def put(self, request, org_id: str, object_id: str):
        target = object_or_404(self.resource, self.account, object_id)
        data, version = parse_body(self.resource.request, request)
        return Response(
            self.resource.output(self.resource.update(target, data, version, request.user.api_key)).data
        )

    def delete(self, request, org_id: str, object_id: str):
        target = object_or_404(self.resource, self.account, object_id)
        return Response(self.resource.output(self.resource.delete(target, request.user.api_key)).data)


def resource_views(
    resource: Resource, *, operation: str, tag: str, list_parameters: list[OpenApiParameter]
) -> tuple[type[ResourceListView], type[ResourceDetailView]]:
    """The list and detail views of `resource`, documented as `<operation>_list|create|retrieve|update|delete`
    under `tag`: one place for the OpenAPI shape every CRUD resource of the dialect shares."""
    output, name = resource.output, resource.output.__name__.removesuffix("Serializer")
    read = {"tags": [tag], "responses": output}
    write = {**read, "request": resource.request}
    list_view = extend_schema_view(
        get=extend_schema(
            operation_id=f"{operation}_list",
            tags=[tag],
            parameters=list_parameters,
            responses=page_of(output),
        ),
        post=extend_schema(operation_id=f"{operation}_create", **write),
    )(type(f"{name}ListView", (ResourceListView,), {"resource": resource, "__module__": output.__module__}))
    detail_view = extend_schema_view(
        get=extend_schema(operation_id=f"{operation}_retrieve", **read),
        put=extend_schema(operation_id=f"{operation}_update", **write),
        delete=extend_schema(operation_id=f"{operation}_delete", **read),
    )(
        type(
            f"{name}DetailView",
            (ResourceDetailView,),
            {"resource": resource, "__module__": output.__module__},
        )
    )
    return list_view, detail_view
