"""Prometheus metrics: counters and histograms the ingest and delivery code feed with one-line calls,
gauges read from the database at scrape time, and the /metrics exposition.

Multi-process: when PROMETHEUS_MULTIPROC_DIR is set before this module is imported (run_hub, the
gunicorn config and the Procfile/systemd units set it), every process writes its samples to files
there and a scrape from any web process sums them (prometheus_client's multiprocess mode). Gauges
(backlog, oldest due age, disabled subscriptions) are database queries at scrape time, so they are the
same whichever process answers and need no per-process state.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections import Counter as Tally
from collections.abc import Collection, Iterable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from eventhub import ops

MULTIPROCESS = bool(
    os.environ.get("PROMETHEUS_MULTIPROC_DIR")
)  # decided at import, as prometheus_client does
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400)

EVENTS_INGESTED = Counter(
    "eventhub_events_ingested", "Events recorded, by event type category.", ["category"]
)
MESSAGES_FINISHED = Counter("eventhub_messages_finished", "Messages that reached a final status.", ["status"])
ATTEMPTS = Counter(
    "eventhub_attempts", "Delivery attempts, by response class (2xx..5xx, error).", ["response_class"]
)
ATTEMPT_SECONDS = Histogram(
    "eventhub_attempt_duration_seconds", "Duration of one delivery attempt.", buckets=_SECONDS
)
PUBLISH_TO_RECEIPT = Histogram(
    "eventhub_publish_to_receipt_seconds",
    "From an event's recording to its successful delivery.",
    buckets=_SECONDS,
)
SUBSCRIPTIONS_DISABLED = Counter(
    "eventhub_subscriptions_disabled", "Subscriptions the hub disabled.", ["reason"]
)
CLAIM_BATCH = Histogram(
    "eventhub_claim_batch_size",
    "Messages a worker claimed in one round trip.",
    buckets=(0, 1, 2, 5, 10, 25, 50, 100, 250),
)


# --- hooks (one call each from ingest and the delivery engine) ---------------------------------------
def events_ingested(events: Iterable) -> None:
    for category, count in Tally(e.event_type.category for e in events).items():
        EVENTS_INGESTED.labels(category).inc(count)


def response_class(status_code: int | None) -> str:
    return f"{status_code // 100}xx" if status_code else "error"


def outcomes_recorded(outcomes: Iterable, applied: Collection[int]) -> None:
    """`outcomes` are deliveries.services.outcomes.Outcome after recording; `applied` the ids of the messages
    the recording moved (a message whose lease ran out is another claim's: its final status is counted there)."""
    for outcome in outcomes:
        message, result = outcome.message, outcome.result
        if result is not None:
            ATTEMPTS.labels(response_class(result.status_code)).inc()
            ATTEMPT_SECONDS.observe(result.duration_ms / 1000)
            if result.success:
                received = outcome.started_at.timestamp() + result.duration_ms / 1000
                PUBLISH_TO_RECEIPT.observe(max(0.0, received - message.created.timestamp()))
        if message.status in ("SUCCESS", "FAILED") and message.id in applied:
            MESSAGES_FINISHED.labels(message.status.lower()).inc()


def subscription_disabled(reason: str) -> None:
    SUBSCRIPTIONS_DISABLED.labels(reason).inc()


def claimed(count: int) -> None:
    CLAIM_BATCH.observe(count)


# --- exposition ---------------------------------------------------------------------------------------
class DatabaseFigures:
    """Gauges computed at scrape time from the figures higher apps register (eventhub.ops)."""

    def collect(self):
        for name, value in ops.figures().items():
            if value is not None:
                yield GaugeMetricFamily(f"eventhub_{name}", name.replace("_", " "), value=value)


def _allowed(request: HttpRequest) -> bool:
    token = settings.EVENTHUB_METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.EVENTHUB_METRICS_ALLOW)


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    directory = settings.EVENTHUB_METRICS_DIR or os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    sources = []
    if directory:
        sources.append(MultiProcessCollector(None, path=directory))
    if not MULTIPROCESS:  # this process's own samples are in memory, not in the directory
        sources += [
            EVENTS_INGESTED,
            MESSAGES_FINISHED,
            ATTEMPTS,
            ATTEMPT_SECONDS,
            PUBLISH_TO_RECEIPT,
            SUBSCRIPTIONS_DISABLED,
            CLAIM_BATCH,
        ]
    registry.register(_Summed(sources))
    registry.register(DatabaseFigures())
    return registry


class _Summed:
    """Families from several collectors, samples with the same name and labels added up (counters and
    histogram buckets are additive), so a process outside multiprocess mode adds its own to the files'."""

    def __init__(self, sources):
        self.sources = sources

    def collect(self):
        families: dict[str, Metric] = {}
        totals: dict[str, dict[tuple, float]] = {}
        for source in self.sources:
            for family in source.collect():
                families.setdefault(family.name, family)
                bucket = totals.setdefault(family.name, {})
                for sample in family.samples:
                    key = (sample.name, tuple(sorted(sample.labels.items())))
                    bucket[key] = bucket.get(key, 0.0) + sample.value
        for name, family in families.items():
            merged = Metric(name, family.documentation, family.type)
            for (sample_name, labels), total in totals[name].items():
                merged.add_sample(sample_name, dict(labels), total)
            yield merged


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: 404 unless the caller has the token or an allowed address (the endpoint's existence
    is not advertised)."""
    if not _allowed(request):
        raise Http404
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
