"""Custom admin pages: delivery health (what is failing, how fast) and background jobs (progress of
recover/replay/resend runs). Both only call selectors and render; the numbers come from the database."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from deliveries import admin_charts, health
from deliveries.models import MessageAttempt, RecoveryJob, RecoveryKind, RecoveryStatus
from eventhub.admin_base import changelist_url, duration
from subscriptions.models import EventSubscription

RECOVERY_JOBS_SHOWN = 50
RESPONSE_CLASS_CSS = ("eh-ok", "eh-warn", "eh-warn", "eh-fail", "eh-fail")


def _require_view(request, model) -> None:
    if not request.user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
        raise PermissionDenied


def health_view(request):
    """Per subscription and overall: success rate, attempts and p50/p95 latency, failing first."""
    _require_view(request, MessageAttempt)
    window = request.GET.get("window", health.DEFAULT_WINDOW)
    if window not in health.WINDOWS:
        window = health.DEFAULT_WINDOW
    label, _, bucket_seconds = health.WINDOWS[window]
    subscription = None
    token = (request.GET.get("subscription") or "").strip()
    if token:
        subscription = EventSubscription.objects.select_related("account").filter(token=token).first()

    data = _health_data(window, subscription.pk if subscription else None, refresh="refresh" in request.GET)
    kpis = []
    for key, stats in data["kpis"]:
        kpi_label = health.WINDOWS[key][0]
        kpis.append(
            {
                "key": key,
                "label": kpi_label,
                "stats": stats,
                "ring": admin_charts.rate_ring(stats.success_rate),
                "selected": key == window,
                "p50": duration(stats.p50_ms),
                "p95": duration(stats.p95_ms),
            }
        )
    rows = data["rows"]
    for row in rows:
        row.spark = admin_charts.sparkline(row.trend)
        row.p50 = duration(row.stats.p50_ms)
        row.p95 = duration(row.stats.p95_ms)
        row.change_url = reverse("admin:subscriptions_eventsubscription_change", args=[row.subscription_id])
        row.health_url = f"?window={window}&subscription={row.token}"
        row.attempts_url = changelist_url(MessageAttempt, subscription=row.token, status="FAILED")
        rate = row.stats.success_rate
        row.rate = admin_charts.percent(rate) if rate is not None else "—"
        row.level = "none" if rate is None else "good" if rate >= 0.99 else "warn" if rate >= 0.9 else "bad"
    histogram, responses = data["outcomes"]
    context = {
        **admin.site.each_context(request),
        "title": "Delivery health" + (f" — {subscription.url}" if subscription else ""),
        "window": window,
        "window_label": label,
        "windows": [(k, v[0]) for k, v in health.WINDOWS.items()],
        "subscription": subscription,
        "subscription_token": token,
        "kpis": kpis,
        "timeline_svg": admin_charts.timeline_chart(
            data["buckets"], bucket_seconds, title=f"Attempts, {label.lower()}"
        ),
        "latency_svg": admin_charts.bar_list(histogram, css=["eh-bar"] * 10, title="Latency distribution"),
        "codes_svg": admin_charts.bar_list(responses, css=RESPONSE_CLASS_CSS, title="Responses"),
        "rows": rows,
        "failing_count": sum(1 for r in rows if r.level == "bad"),
        "generated_at": data["generated_at"],
        "cache_seconds": _cache_seconds(),
        "jobs_url": reverse("admin:deliveries_jobs"),
        "attempts_url": changelist_url(MessageAttempt),
    }
    return TemplateResponse(request, "admin/deliveries/health.html", context)


def _cache_seconds() -> int:
    return int(getattr(settings, "EVENTHUB_HEALTH_CACHE_SECONDS", 30))


def _health_data(window: str, subscription_id: int | None, *, refresh: bool = False) -> dict:
    """The page's numbers, cached briefly: each view aggregates every attempt of the window several
    times, and the page refreshes itself every minute in many staff browsers."""
    seconds = _cache_seconds()
    key = f"eventhub:admin-health:{window}:{subscription_id or '-'}"
    if seconds > 0 and not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    now = timezone.now()
    _, length, bucket_seconds = health.WINDOWS[window]
    since = now - length
    kpis = []
    for key_name, (_, kpi_length, _) in health.WINDOWS.items():
        if subscription_id is not None:
            kpis.append((key_name, health.subscription_stats(subscription_id, now - kpi_length)))
        else:
            kpis.append((key_name, health.overall(now - kpi_length)))
    data = {
        "generated_at": now,
        "kpis": kpis,
        "buckets": health.timeline(since, bucket_seconds, now=now, subscription_id=subscription_id),
        "rows": []
        if subscription_id is not None
        else health.per_subscription(since, bucket_seconds=bucket_seconds, now=now),
        "outcomes": health.outcome_breakdown(since, subscription_id=subscription_id),
    }
    if seconds > 0:
        cache.set(key, data, seconds)
    return data


def jobs_view(request):
    """Recent background jobs (RecoveryJob rows, which hold their own progress), live: the page
    refreshes itself while any is queued or running."""
    _require_view(request, MessageAttempt)
    recent = (
        RecoveryJob.objects.select_related("subscription", "account")
        .defer("message_ids")
        .order_by("-created", "-id")
    )
    recovery_jobs = list(recent.exclude(kind=RecoveryKind.RESEND)[:RECOVERY_JOBS_SHOWN])
    jobs = list(recent.filter(kind=RecoveryKind.RESEND)[:RECOVERY_JOBS_SHOWN])
    for job in recovery_jobs + jobs:
        took = (
            (job.finished_at - job.started_at).total_seconds() * 1000
            if job.finished_at and job.started_at
            else None
        )
        job.took = duration(took) if took is not None else ""
    active = (RecoveryStatus.QUEUED, RecoveryStatus.RUNNING)
    context = {
        **admin.site.each_context(request),
        "title": "Background jobs",
        "jobs": jobs,
        "recovery_jobs": recovery_jobs,
        "recovery_jobs_url": changelist_url(RecoveryJob),
        "running": any(j.status in active for j in recovery_jobs + jobs),
        "health_url": reverse("admin:deliveries_health"),
    }
    return TemplateResponse(request, "admin/deliveries/jobs.html", context)
