"""POST /oauth/token: client credentials (HTTP Basic key_id:api_key, JSON body) for the billing SDK."""

from __future__ import annotations

import base64
import binascii

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from eventhub.api.errors import error_response
from eventhub.services.oauth import issue_access_token


class OAuthTokenView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="oauth_token",
        request=inline_serializer("TokenRequest", {"grant_type": serializers.CharField()}),
        responses=inline_serializer(
            "TokenResponse",
            {
                "access_token": serializers.CharField(),
                "expires_in": serializers.IntegerField(),
                "token_type": serializers.CharField(),
            },
        ),
    )
    def post(self, request):
        grant = request.data.get("grant_type") if isinstance(request.data, dict) else None
        if grant != "client_credentials":
            return error_response(
                400, "grant_type must be client_credentials.", {"grant_type": ["Must be client_credentials."]}
            )
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            key_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            key_id = secret = ""
        token = issue_access_token(key_id, secret) if scheme.lower() == "basic" and key_id else None
        if token is None:
            return error_response(401, "Invalid client credentials.", headers={"WWW-Authenticate": "Basic"})
        return Response(token)
