"""Endpoint pages: list with 24 h health, create/edit/disable/delete, signing secret, example, recovery, health."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages as flash
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deliveries import admin_charts, health
from deliveries.services import recovery
from eventhub.admin_base import duration
from eventhub.errors import HubError
from portal import selectors
from portal.forms import EndpointForm
from portal.views.base import attempt, parse_time, portal_view, render
from subscriptions import services as subscription_services


@require_GET
@portal_view
def endpoint_list(request):
    rows = selectors.endpoints_with_health(request.portal)
    for row in rows:
        rate = row.success_rate
        row.rate = admin_charts.percent(rate) if rate is not None else "—"
        row.level = "none" if rate is None else "good" if rate >= 0.99 else "warn" if rate >= 0.9 else "bad"
    return render(request, "endpoints.html", {"rows": rows, "title": "Endpoints"})


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
    return render(request, "endpoint_form.html", {"form": form, "types": types, "title": "New endpoint"})


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
    return render(request, "endpoint_form.html", context)


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
    return render(request, "endpoint.html", context)


@require_POST
@portal_view
def endpoint_state(request, token: str):
    subscription = selectors.endpoint(request.portal, token)
    disabled = request.POST.get("disabled") == "1"
    return attempt(
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
    return render(request, "endpoint_delete.html", {"subscription": subscription, "title": "Delete endpoint"})


@require_POST
@portal_view
def endpoint_secret(request, token: str):
    """Reveal the signing secret (POST: audited, and never in a URL or a cached page)."""
    subscription = selectors.endpoint(request.portal, token)
    secret = subscription_services.current_secret(subscription, actor=request.portal.actor)
    return render(
        request, "secret.html", {"subscription": subscription, "secret": secret, "title": "Signing secret"}
    )


@require_POST
@portal_view
def endpoint_rotate(request, token: str):
    subscription = selectors.endpoint(request.portal, token)
    return attempt(
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
    return attempt(
        request,
        lambda: recovery.send_example(subscription, name, actor=request.portal.actor),
        f"Example {name or ''} queued; it appears in the message log in a moment.",
        back,
    )


def _window_action(request, token: str, service, done: str):
    subscription = selectors.endpoint(request.portal, token)
    back = reverse("portal:endpoint", args=[token])
    try:
        since = parse_time(request.POST.get("since"))
    except ValueError:
        flash.error(request, "Enter the time as YYYY-MM-DDTHH:MM (UTC).")
        return redirect(back)
    return attempt(
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
        kpis.append(
            {
                "key": key,
                "label": kpi_label,
                "stats": stats,
                "selected": key == window,
                "ring": admin_charts.rate_ring(stats.success_rate),
                "p50": duration(stats.p50_ms),
                "p95": duration(stats.p95_ms),
            }
        )
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
    return render(request, "health.html", context)
