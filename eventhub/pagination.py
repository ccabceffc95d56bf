"""Keyset pagination on (created, id), newest first, in both directions; no OFFSET, no COUNT.

The card-issuing dialect pages by item token (`starting_after` / `ending_before`); the billing dialect
by an opaque `nextToken` that encodes the last item's position.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from eventhub.errors import InvalidInput

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class Page:
    items: list
    has_more: bool


def parse_page_size(raw: str | None, *, field: str = "page_size", maximum: int = MAX_PAGE_SIZE) -> int:
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be an integer.", {field: ["Must be an integer."]}) from None
    if not 1 <= size <= maximum:
        raise InvalidInput(
            f"{field} must be between 1 and {maximum}.", {field: [f"Must be between 1 and {maximum}."]}
        )
    return size


def _older_than(created: datetime, pk: int) -> Q:
    return Q(created__lt=created) | Q(created=created, id__lt=pk)


def _newer_than(created: datetime, pk: int) -> Q:
    return Q(created__gt=created) | Q(created=created, id__gt=pk)


def _cursor_position(queryset: QuerySet, token: str, field: str, token_field: str) -> tuple[datetime, int]:
    row = queryset.filter(**{token_field: token}).values_list("created", "id").first()
    if row is None:
        raise InvalidInput(
            f"{field} names an unknown item.", {field: [f"No item with token {token[:64]!r} in this list."]}
        )
    return row


def token_page(
    queryset: QuerySet,
    *,
    page_size: int,
    starting_after: str | None = None,
    ending_before: str | None = None,
    token_field: str = "token",
) -> Page:
    """Card-issuing cursor page: `ending_before=X` returns the items right before X (closest to it)."""
    if starting_after and ending_before:
        raise InvalidInput(
            "Use starting_after or ending_before, not both.",
            {"ending_before": ["Cannot be combined with starting_after."]},
        )
    if ending_before:
        created, pk = _cursor_position(queryset, ending_before, "ending_before", token_field)
        rows = list(queryset.filter(_newer_than(created, pk)).order_by("created", "id")[: page_size + 1])
        has_more = len(rows) > page_size
        return Page(items=list(reversed(rows[:page_size])), has_more=has_more)
    if starting_after:
        created, pk = _cursor_position(queryset, starting_after, "starting_after", token_field)
        queryset = queryset.filter(_older_than(created, pk))
    rows = list(queryset.order_by("-created", "-id")[: page_size + 1])
    return Page(items=rows[:page_size], has_more=len(rows) > page_size)


def encode_next_token(created: datetime, pk: int) -> str:
    raw = json.dumps([created.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_next_token(token: str) -> tuple[datetime, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        created_text, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(created_text), int(pk)
    except (ValueError, TypeError):
        raise InvalidInput(
            "nextToken is not a token this server issued.", {"nextToken": ["Invalid token."]}
        ) from None


def next_token_page(queryset: QuerySet, *, page_size: int, next_token: str | None) -> tuple[list, str | None]:
    """Billing-dialect page: items newest first and the opaque token for the next page (None at the end)."""
    if next_token:
        queryset = queryset.filter(_older_than(*_decode_next_token(next_token)))
    rows = list(queryset.order_by("-created", "-id")[: page_size + 1])
    items = rows[:page_size]
    more = len(rows) > page_size
    return items, (encode_next_token(items[-1].created, items[-1].id) if more and items else None)
