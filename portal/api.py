"""POST /v1/portal_sessions: a product's backend mints a single-use portal link for one account (an
account key for its own account; a staff key names the account). The billing dialect has no equivalent."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from eventhub.api.scoping import acting_account
from eventhub.errors import InvalidInput
from portal.links import mint_link

REQUEST = inline_serializer(
    "PortalSessionCreate",
    {
        "account_token": serializers.CharField(
            required=False, help_text="Staff keys: the account the link is for."
        ),
        "read_only": serializers.BooleanField(required=False, default=False),
        "event_types": serializers.ListField(child=serializers.CharField(), required=False),
        "categories": serializers.ListField(child=serializers.CharField(), required=False),
        "expires_in": serializers.IntegerField(
            required=False, help_text="Seconds; default EVENTHUB_PORTAL_LINK_SECONDS."
        ),
    },
)
RESPONSE = inline_serializer(
    "PortalSession", {"url": serializers.URLField(), "expires_at": serializers.DateTimeField()}
)


class PortalSessionView(APIView):
    @extend_schema(operation_id="portal_sessions_create", request=REQUEST, responses={201: RESPONSE})
    def post(self, request):
        body = request.data if request.data is not None else {}
        if not isinstance(body, dict):
            raise InvalidInput(
                "The body must be a JSON object.", {"non_field_errors": ["Expected a JSON object."]}
            )
        account = acting_account(request, body.get("account_token"))
        minted = mint_link(
            account,
            api_key=request.user.api_key,
            read_only=body.get("read_only", False),
            event_types=body.get("event_types"),
            categories=body.get("categories"),
            expires_in=body.get("expires_in"),
        )
        path = reverse("portal:start", args=[minted.token])
        base = settings.EVENTHUB_PORTAL_BASE_URL.rstrip("/")
        url = f"{base}{path}" if base else request.build_absolute_uri(path)
        expires_at = minted.expires_at.isoformat().replace("+00:00", "Z")
        return Response({"url": url, "expires_at": expires_at}, status=status.HTTP_201_CREATED)
