"""The portal session: who the browser acts for (account, the key that opened it), what it may see
(scope) and whether it may write. Kept in Django's session under `portal`, separate from admin login,
and re-checked on every request (a revoked key or a deactivated account ends it at once)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet

from eventhub.models import Account, ApiKey, EventType
from eventhub.selectors import visible_event_types
from eventhub.services.audit import InterfaceActor
from portal.models import PortalLink

SESSION_KEY = "portal"
VIA = "portal"


@dataclass
class PortalSession:
    account: Account
    api_key: ApiKey
    read_only: bool
    event_types: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    @property
    def actor(self) -> InterfaceActor:
        return InterfaceActor(self.api_key, VIA)

    @property
    def scoped(self) -> bool:
        return bool(self.event_types or self.categories)

    def catalog(self) -> QuerySet[EventType]:
        """The types this session may see and subscribe to: the account's catalog, narrowed by the scope."""
        types = visible_event_types(self.account).filter(archived=False)
        if self.scoped:
            types = types.filter(Q(name__in=self.event_types) | Q(category__in=self.categories))
        return types

    def allows_filter(self, event_types: list[str], allowed: set[str]) -> bool:
        """Whether an endpoint with this filter is within the scope (an empty filter means every type)."""
        if not self.scoped:
            return True
        return bool(event_types) and set(event_types) <= allowed


def start(request, link: PortalLink) -> None:
    """Bind the browser to the link's account; a fresh session key, so no earlier cookie carries over."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "account": link.account_id,
        "key": link.api_key_id,
        "read_only": link.read_only,
        "event_types": link.event_types,
        "categories": link.categories,
        "until": time.time() + settings.EVENTHUB_PORTAL_SESSION_SECONDS,
    }


def current(request) -> PortalSession | None:
    """The request's portal session, or None (never opened, expired, key revoked, account inactive)."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("until", 0) < time.time():
        return None
    key = ApiKey.objects.filter(pk=data.get("key"), revoked_at__isnull=True).first()
    if key is None or not (key.is_staff or key.account_id == data.get("account")):
        return None
    account = Account.objects.filter(pk=data.get("account"), is_active=True).first()
    if account is None:
        return None
    return PortalSession(
        account=account,
        api_key=key,
        read_only=bool(data.get("read_only")),
        event_types=list(data.get("event_types") or []),
        categories=list(data.get("categories") or []),
    )
