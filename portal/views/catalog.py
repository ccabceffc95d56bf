"""The event catalog as the session sees it: types by category, each with its schema and example."""

from __future__ import annotations

from django.views.decorators.http import require_GET

from portal import selectors
from portal.views.base import as_json, portal_view, render


@require_GET
@portal_view
def catalog(request):
    search = (request.GET.get("q") or "").strip()[:128]
    groups: dict[str, list] = {}
    for event_type in selectors.catalog(request.portal, search):
        groups.setdefault(event_type.get_category_display(), []).append(event_type)
    return render(
        request, "catalog.html", {"groups": sorted(groups.items()), "q": search, "title": "Event catalog"}
    )


@require_GET
@portal_view
def catalog_type(request, name: str):
    event_type = selectors.catalog_type(request.portal, name)
    context = {
        "event_type": event_type,
        "example_json": as_json(event_type.example),
        "schema_json": as_json(event_type.schema) if event_type.schema else "",
        "title": event_type.name,
    }
    return render(request, "event_type.html", context)
