"""Reads for the portal pages, every one filtered by the session's account and scope: another account's
object, or one outside the scope, is not found (404), exactly as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from deliveries.health import finished_attempts
from deliveries.models import AttemptStatus, Message, MessageAttempt, MessageStatus
from eventhub.models import EventType
from eventhub.pagination import Page, token_page
from eventhub.selectors import type_keys
from portal.session import PortalSession
from subscriptions.models import EventSubscription

PAGE_SIZE = 25
RESPONSE_PREVIEW = 512  # characters of a response body shown per attempt
ATTEMPTS_SHOWN = 50


@dataclass
class EndpointRow:
    subscription: EventSubscription
    attempts: int
    successes: int
    last_failure_at: datetime | None

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.attempts if self.attempts else None


def allowed_type_names(session: PortalSession) -> set[str]:
    return set(session.catalog().values_list("name", flat=True))


def catalog(session: PortalSession, search: str = "") -> QuerySet[EventType]:
    types = session.catalog()
    if search:
        types = types.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return types.order_by("category", "name")


def catalog_type(session: PortalSession, name: str) -> EventType:
    found = sorted(session.catalog().filter(name=name), key=lambda t: t.account_id is None)
    if not found:
        raise Http404("No such event type.")
    return found[0]


def _endpoints(session: PortalSession, allowed: set[str]) -> list[EventSubscription]:
    rows = EventSubscription.objects.filter(account=session.account).order_by("-created", "-id")
    return [s for s in rows if session.allows_filter(s.event_types, allowed)]


def endpoints(session: PortalSession, allowed: set[str] | None = None) -> list[EventSubscription]:
    """The account's endpoints within the scope (a scoped session sees only endpoints whose filter is
    inside it). An account has tens of endpoints, not millions: one query, filtered here."""
    return _endpoints(session, allowed_type_names(session) if allowed is None else allowed)


def endpoints_with_health(session: PortalSession, now: datetime | None = None) -> list[EndpointRow]:
    """Each visible endpoint with its 24 h success rate and last failure: one grouped aggregate for all."""
    subscriptions = endpoints(session)
    since = (now or timezone.now()) - timedelta(days=1)
    grouped = {
        row["subscription_id"]: row
        for row in finished_attempts(since)
        .filter(subscription_id__in=[s.pk for s in subscriptions])
        .values("subscription_id")
        .annotate(
            n=Count("*"),
            ok=Count("status", filter=Q(status=AttemptStatus.SUCCESS)),
            last_failure=Max("created", filter=Q(status=AttemptStatus.FAILED)),
        )
        .order_by()
    }
    empty = {"n": 0, "ok": 0, "last_failure": None}
    return [
        EndpointRow(
            s,
            grouped.get(s.pk, empty)["n"],
            grouped.get(s.pk, empty)["ok"],
            grouped.get(s.pk, empty)["last_failure"],
        )
        for s in subscriptions
    ]


def endpoint(session: PortalSession, token: str) -> EventSubscription:
    subscription = EventSubscription.objects.filter(account=session.account, token=token).first()
    if subscription is None or not session.allows_filter(
        subscription.event_types, allowed_type_names(session)
    ):
        raise Http404("No such endpoint.")
    return subscription


def _messages(session: PortalSession) -> QuerySet[Message]:
    queryset = Message.objects.filter(account=session.account)
    if session.scoped:
        allowed = allowed_type_names(session)
        queryset = queryset.filter(
            subscription_id__in=[s.pk for s in _endpoints(session, allowed)],
            event__event_type_id__in=type_keys(session.account, allowed),
        )
    return queryset


def messages(
    session: PortalSession,
    *,
    endpoint_token: str = "",
    event_type: str = "",
    status: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    starting_after: str | None = None,
) -> Page:
    """A keyset page of messages, newest first, with their event and endpoint in the same query."""
    queryset = _messages(session)
    if endpoint_token:
        queryset = queryset.filter(subscription__token=endpoint_token)
    if event_type:
        queryset = queryset.filter(event__event_type_id__in=type_keys(session.account, [event_type]))
    if status in MessageStatus.values:
        queryset = queryset.filter(status=status)
    if since is not None:
        queryset = queryset.filter(created__gte=since)
    if until is not None:
        queryset = queryset.filter(created__lt=until)
    queryset = queryset.select_related("event", "subscription").only(
        "token",
        "status",
        "attempt_count",
        "created",
        "last_attempt_at",
        "is_example",
        "event__token",
        "event__event_type_id",
        "subscription__token",
        "subscription__url",
    )
    return token_page(queryset, page_size=PAGE_SIZE, starting_after=starting_after or None)


def message(session: PortalSession, token: str) -> Message:
    found = _messages(session).select_related("event", "subscription").filter(token=token).first()
    if found is None:
        raise Http404("No such message.")
    return found


def attempts_of(message: Message) -> list[MessageAttempt]:
    """The message's attempts, newest first, each with the first bytes of the response."""
    rows = list(MessageAttempt.objects.filter(message=message).order_by("-created", "-id")[:ATTEMPTS_SHOWN])
    for attempt in rows:
        attempt.response_preview = attempt.response_body[:RESPONSE_PREVIEW]
    return rows


def recent_attempts(subscription: EventSubscription, limit: int = 10) -> list[MessageAttempt]:
    rows = list(
        MessageAttempt.objects.filter(subscription=subscription)
        .select_related("message")
        .only(
            "token",
            "status",
            "created",
            "response_status_code",
            "duration_ms",
            "response_body",
            "error",
            "message__token",
        )
        .order_by("-created", "-id")[:limit]
    )
    for attempt in rows:
        attempt.response_preview = attempt.response_body[:RESPONSE_PREVIEW]
    return rows
