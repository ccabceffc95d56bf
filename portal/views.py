"""Portal pages: each view authorizes through the session (account, scope, read_only), calls one
selector or service, and renders. Writes are POST forms (CSRF-protected, no JavaScript needed); domain
errors become a message on the page, never a trace."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages as flash
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deliveries import admin_charts, health
from deliveries.models import MessageStatus
from deliveries.services import recovery
from eventhub.admin_base import duration
from eventhub.errors import HubError
from portal import links, selectors
from portal import session as portal_session
from portal.forms import EndpointForm
from portal.security import harden
from subscriptions import services as subscription_services


def _render(request, template: str, context: dict, status: int = 200):
    response = TemplateResponse(
        request, f"portal/{template}", {**context, "portal": getattr(request, "portal", None)}, status=status
    )
    return harden(response)


def refused(request, reason: str, status: int = 403):
    return _render(request, "refused.html", {"reason": reason}, status=status)


def portal_view(view):
    """Requires a live portal session; a write (POST) also requires it not to be read-only."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        request.portal = portal_session.current(request)
        if request.portal is None:
            return refused(request, "no_session")
        if (
            request.method == "POST"
            and request.portal.read_only
            and not getattr(view, "read_only_allowed", False)
        ):
            return refused(request, "read_only")
        response = view(request, *args, **kwargs)
        return harden(response)

    return wrapper


def _attempt(request, action, success: str, back: str):
    """Run one service call; its domain error is shown on the page it came from."""
    try:
        action()
    except HubError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, success)
    return redirect(back)


# --- Session ---------------------------------------------------------------------------------------------


@require_GET
def start(request, token: str):
    """Open a link once: the session starts and the browser moves to the endpoints page (the token
    leaves the address bar at once)."""
    try:
        link = links.redeem_link(token)
    except links.LinkRefused as exc:
        return refused(request, exc.reason, status=410 if exc.reason in ("expired", "used") else 403)
    portal_session.start(request, link)
    return harden(redirect("portal:endpoints"))


def end(request):
    request.session.pop(portal_session.SESSION_KEY, None)
    return refused(request, "ended", status=200)


end.read_only_allowed = True  # signing out changes nothing of the account's
end = require_POST(portal_view(end))


# --- Endpoints -------------------------------------------------------------------------------------------


@require_GET
@portal_view
def home(request):
    return redirect("portal:endpoints")


@require_GET
@portal_view
def endpoint_list(request):
    rows = selectors.endpoints_with_health(request.portal)
    for row in rows:
        rate = row.success_rate
        row.rate = admin_charts.percent(rate) if rate is not None else "—"
        row.level = "none" if rate is None else "good" if rate >= 0.99 else "warn" if rate >= 0.9 else "bad"
    return _render(request, "endpoints.html", {"rows": rows, "title": "Endpoints"})


def _type_choices(request):
    return list(selectors.catalog(request.portal))


@require_http_methods(["GET", "POST"])
@portal_view
def endpoint_create(request):
    types = _type_choices(request)
    form = EndpointForm(request.POST or None, event_types=types, scoped=request.portal.scoped)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = subscription_services.create_subscription(
                request.portal.account, actor=request.portal.actor, **form.changes()
            )
        except HubError as exc:
            form.add_hub_error(exc)
        else:
            flash.success(request, "Endpoint created. Its signing secret is on this page.")
            return redirect("portal:endpoint", token=subscription.token)
    return _render(request, "endpoint_form.html", {"form": form, "types": types, "title": "New endpoint"})


@require_http_methods(["GET", "POST"])
@portal_view
def endpoint_edit(request, token: str):
    subscription = selectors.endpoint(request.portal, token)
    types = _type_choices(request)
    initial = {
        "url": subscription.url,
        "description": subscription.description,
        "event_types": subscription.event_types,
    }
    form = EndpointForm(
        request.POST or None, initial=initial, event_types=types, scoped=request.portal.scoped
    )
    if request.method == "POST" and form.is_valid():
        try:
            subscription_services.update_subscription(
                subscription, form.changes(), actor=request.portal.actor
            )
        except HubError as exc:
            form.add_hub_error(exc)
        else:
            flash.success(request, "Endpoint saved.")
            return redirect("portal:endpoint", token=subscription.token)
    context = {"form": form, "types": types, "subscription": subscription, "title": "Edit endpoint"}
    return _render(request, "endpoint_form.html", context)


@require_GET
@portal_view
def endpoint_detail(request, token: str):
    subscription = selectors.endpoint(request.portal, token)
    context = {
        "subscription": subscription,
        "attempts": selectors.recent_attempts(subscription),
        "types": subscription.event_types or [t.name for t in _type_choices(request)],
        "overlap_hours": settings.EVENTHUB_SECRET_ROTATION_GRACE_HOURS,
        "default_since": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "title": subscription.url,
    }
    return _render(request, "endpoint.html", context)


@require_POST
@portal_view
def endpoint_state(request, token: str):
    subscription = selectors.endpoint(request.portal, token)
    disabled = request.POST.get("disabled") == "1"
    return _attempt(
        request,
        lambda: subscription_services.set_disabled(subscription, disabled, actor=request.portal.actor),
        "Endpoint disabled." if disabled else "Endpoint enabled.",
        reverse("portal:endpoint", args=[token]),
    )


@require_http_methods(["GET", "POST"])
@portal_view
def endpoint_delete(request, token: str):
    subscription = selectors.endpoint(request.portal, token)
    if request.method == "POST":
        subscription_services.delete_subscription(subscription, actor=request.portal.actor)
        flash.success(request, f"Endpoint {subscription.url} deleted.")
        return redirect("portal:endpoints")
    return _render(
        request, "endpoint_delete.html", {"subscription": subscription, "title": "Delete endpoint"}
    )


@require_POST
@portal_view
def endpoint_secret(request, token: str):
    """Reveal the signing secret (POST: audited, and never in a URL or a cached page)."""
    subscription = selectors.endpoint(request.portal, token)
    secret = subscription_services.current_secret(subscription, actor=request.portal.actor)
    return _render(
        request, "secret.html", {"subscription": subscription, "secret": secret, "title": "Signing secret"}
    )


@require_POST
@portal_view
def endpoint_rotate(request, token: str):
    subscription = selectors.endpoint(request.portal, token)
    return _attempt(
        request,
        lambda: subscription_services.rotate_secret(subscription, actor=request.portal.actor),
        "Secret rotated. The previous secret keeps signing alongside the new one for the overlap period.",
        reverse("portal:endpoint", args=[token]),
    )


@require_POST
@portal_view
def endpoint_example(request, token: str):
    subscription = selectors.endpoint(request.portal, token)
    name = request.POST.get("event_type") or None
    back = reverse("portal:endpoint", args=[token])
    if name is not None and name not in selectors.allowed_type_names(request.portal):
        flash.error(request, "Unknown event type.")
        return redirect(back)
    return _attempt(
        request,
        lambda: recovery.send_example(subscription, name, actor=request.portal.actor),
        f"Example {name or ''} queued; it appears in the message log in a moment.",
        back,
    )


def parse_time(raw: str | None) -> datetime | None:
    """A form's time (`YYYY-MM-DDTHH:MM`, as <input type=datetime-local> sends it), read as UTC; blank is
    None, anything else unreadable raises ValueError."""
    raw = (raw or "").strip()
    if not raw:
        return None
    parsed = parse_datetime(raw)  # raises ValueError for a well-formed but impossible time
    if parsed is None:
        raise ValueError(raw)
    return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed


def _window_action(request, token: str, service, done: str):
    subscription = selectors.endpoint(request.portal, token)
    back = reverse("portal:endpoint", args=[token])
    try:
        since = parse_time(request.POST.get("since"))
    except ValueError:
        flash.error(request, "Enter the time as YYYY-MM-DDTHH:MM (UTC).")
        return redirect(back)
    return _attempt(
        request, lambda: service(subscription, since, None, actor=request.portal.actor), done, back
    )


@require_POST
@portal_view
def endpoint_recover(request, token: str):
    return _window_action(
        request, token, recovery.recover, "Recovery queued: failed messages since then are sent again."
    )


@require_POST
@portal_view
def endpoint_replay(request, token: str):
    return _window_action(
        request, token, recovery.replay_missing, "Replay queued: events never sent to this endpoint will be."
    )


@require_GET
@portal_view
def endpoint_health(request, token: str):
    subscription = selectors.endpoint(request.portal, token)
    window = request.GET.get("window", health.DEFAULT_WINDOW)
    if window not in health.WINDOWS:
        window = health.DEFAULT_WINDOW
    label, length, bucket_seconds = health.WINDOWS[window]
    now = timezone.now()
    kpis = []
    for key, (kpi_label, kpi_length, _) in health.WINDOWS.items():
        stats = health.subscription_stats(subscription.pk, now - kpi_length)
        kpis.append({"key": key, "label": kpi_label, "stats": stats, "selected": key == window,
                     "ring": admin_charts.rate_ring(stats.success_rate),
                     "p50": duration(stats.p50_ms), "p95": duration(stats.p95_ms)})  # fmt: skip
    histogram, responses = health.outcome_breakdown(now - length, subscription_id=subscription.pk)
    buckets = health.timeline(now - length, bucket_seconds, now=now, subscription_id=subscription.pk)
    context = {
        "subscription": subscription,
        "window": window,
        "windows": [(k, v[0]) for k, v in health.WINDOWS.items()],
        "kpis": kpis,
        "timeline_svg": admin_charts.timeline_chart(
            buckets, bucket_seconds, title=f"Attempts, {label.lower()}"
        ),
        "latency_svg": admin_charts.bar_list(histogram, title="Latency distribution"),
        "codes_svg": admin_charts.bar_list(
            responses, css=("eh-ok", "eh-warn", "eh-warn", "eh-fail", "eh-fail"), title="Responses"
        ),
        "title": f"Health of {subscription.url}",
    }
    return _render(request, "health.html", context)


# --- Catalog ---------------------------------------------------------------------------------------------


@require_GET
@portal_view
def catalog(request):
    search = (request.GET.get("q") or "").strip()[:128]
    groups: dict[str, list] = {}
    for event_type in selectors.catalog(request.portal, search):
        groups.setdefault(event_type.get_category_display(), []).append(event_type)
    return _render(
        request, "catalog.html", {"groups": sorted(groups.items()), "q": search, "title": "Event catalog"}
    )


@require_GET
@portal_view
def catalog_type(request, name: str):
    event_type = selectors.catalog_type(request.portal, name)
    context = {
        "event_type": event_type,
        "example_json": _json(event_type.example),
        "schema_json": _json(event_type.schema) if event_type.schema else "",
        "title": event_type.name,
    }
    return _render(request, "event_type.html", context)


def _json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


# --- Message log -----------------------------------------------------------------------------------------


def _filter_time(request, name: str) -> datetime | None:
    try:
        return parse_time(request.GET.get(name))
    except ValueError:
        flash.error(request, f"Ignored {name}: enter the time as YYYY-MM-DDTHH:MM (UTC).")
        return None


@require_GET
@portal_view
def message_list(request):
    params = request.GET
    filters = {
        "endpoint_token": params.get("endpoint", "")[:64],
        "event_type": params.get("event_type", "")[:128],
        "status": params.get("status", ""),
        "since": _filter_time(request, "since"),
        "until": _filter_time(request, "until"),
    }
    try:
        page = selectors.messages(request.portal, **filters, starting_after=params.get("after"))
    except HubError as exc:
        flash.error(request, exc.message)
        page = selectors.messages(request.portal, **filters)
    query = params.copy()
    query.pop("after", None)
    if page.has_more and page.items:
        query["after"] = page.items[-1].token
    context = {
        "page": page,
        "next_query": query.urlencode() if page.has_more else "",
        "params": params,
        "endpoints": selectors.endpoints(request.portal),
        "statuses": MessageStatus.values,
        "title": "Message log",
    }
    return _render(request, "messages.html", context)


@require_GET
@portal_view
def message_detail(request, token: str):
    message = selectors.message(request.portal, token)
    context = {
        "message": message,
        "payload_json": _json(message.event.payload),
        "attempts": selectors.attempts_of(message),
        "title": f"Message {message.token}",
    }
    return _render(request, "message.html", context)


@require_POST
@portal_view
def message_resend(request, token: str):
    message = selectors.message(request.portal, token)
    return _attempt(
        request,
        lambda: recovery.resend(message.event, message.subscription, actor=request.portal.actor),
        "Resend queued.",
        reverse("portal:message", args=[token]),
    )
