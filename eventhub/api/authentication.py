"""API-key authentication: `Authorization: <key>` (card-issuing SDK) or `Authorization: Bearer <key|token>`."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework import authentication, exceptions

from eventhub.models import Account, ApiKey
from eventhub.services.accounts import authenticate_key
from eventhub.services.oauth import key_for_access_token


@dataclass
class Caller:
    """The authenticated principal: the key's account, or none for a staff key acting for every account."""

    api_key: ApiKey
    account: Account | None
    is_staff: bool

    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self) -> str:
        return self.api_key.key_id


def _resolve_bearer(raw: str) -> ApiKey | None:
    key = authenticate_key(raw)
    if key is not None:
        return key
    return key_for_access_token(raw)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "").strip()
        if not header:
            return None
        scheme, _, rest = header.partition(" ")
        if scheme.lower() == "bearer" and rest:
            key = _resolve_bearer(rest.strip())
        elif scheme.lower() == "basic":
            return None
        else:
            key = authenticate_key(header)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return Caller(api_key=key, account=key.account, is_staff=key.is_staff), key

    def authenticate_header(self, request):
        return "Bearer"
