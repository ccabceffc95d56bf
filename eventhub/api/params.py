"""Query parameters every card-dialect list shares (cursor pages, time windows) and the strict boolean
parser both dialects use, so each app's views read them the same way."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

from eventhub.errors import InvalidInput
from eventhub.pagination import parse_page_size

CURSOR_PARAMS = [
    OpenApiParameter("page_size", int, description="1-100, default 20"),
    OpenApiParameter(
        "starting_after", str, description="Token of the item after which to start (older items)."
    ),
    OpenApiParameter(
        "ending_before", str, description="Token of the item before which to end (newer items)."
    ),
]
TIME_PARAMS = [
    OpenApiParameter("begin", str, description="RFC 3339; only items created at or after it."),
    OpenApiParameter("end", str, description="RFC 3339; only items created before it."),
]


def cursor_args(request) -> dict:
    """`page_size`/`starting_after`/`ending_before` as keyword arguments of `eventhub.pagination.token_page`."""
    params = request.query_params
    return {
        "page_size": parse_page_size(params.get("page_size")),
        "starting_after": params.get("starting_after") or None,
        "ending_before": params.get("ending_before") or None,
    }


def truthy(raw: str | None, field: str, default: bool = False) -> bool:
    """Only true/false/1/0 (any case): anything else is a 400 naming the field, never a silent False."""
    if raw in (None, ""):
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise InvalidInput(f"{field} must be true or false.", {field: ["Must be true or false."]})
