"""Delivery-health selectors for the admin page: success rate, volume and p50/p95 latency of attempts,
overall, per subscription and per time bucket, each computed by an aggregate query.

PostgreSQL computes percentiles with percentile_cont (interpolated). SQLite has no percentile
aggregate, so there a window-function query picks the nearest-rank value instead; both run in the
database, never by loading attempts into Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connections
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from deliveries.models import AttemptStatus, Message, MessageAttempt, MessageStatus
from subscriptions.models import EventSubscription

WINDOWS: dict[str, tuple[str, timedelta, int]] = {
    # key: (label, length, bucket seconds)
    "1h": ("Last hour", timedelta(hours=1), 300),
    "24h": ("Last 24 hours", timedelta(days=1), 3600),
    "7d": ("Last 7 days", timedelta(days=7), 6 * 3600),
}
DEFAULT_WINDOW = "24h"
FINISHED = (AttemptStatus.SUCCESS, AttemptStatus.FAILED)
LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000)


@dataclass(frozen=True)
class Stats:
    attempts: int = 0
    successes: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def failures(self) -> int:
        return self.attempts - self.successes

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.attempts if self.attempts else None


@dataclass
class SubscriptionHealth:
    subscription_id: int
    token: str
    url: str
    account_name: str
    disabled: bool
    stats: Stats
    last_attempt_at: datetime | None
    backlog: int = 0
    trend: list[float | None] = field(default_factory=list)


@dataclass(frozen=True)
class Bucket:
    start: datetime
    successes: int
    failures: int
    p95_ms: float | None


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: percentile_cont(f) WITHIN GROUP (ORDER BY expr)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float):
        super().__init__(expression, fraction=float(fraction))


class EpochBucket(Func):
    """The index of the fixed-width time bucket a timestamp falls in (seconds since the epoch // width)."""

    output_field = IntegerField()

    def __init__(self, expression, seconds: int):
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {sql}) / {self.seconds}) AS BIGINT)", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(CAST(strftime('%%s', {sql}) AS INTEGER) / {self.seconds})", params


def finished_attempts(since: datetime, until: datetime | None = None) -> QuerySet[MessageAttempt]:
    """Attempts that got an outcome in [since, until); in-flight ones say nothing about health yet."""
    queryset = MessageAttempt.objects.filter(created__gte=since, status__in=FINISHED)
    if until is not None:
        queryset = queryset.filter(created__lt=until)
    return queryset


def _is_postgres(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def _grouped_stats(queryset: QuerySet, group: str | None, group_expr=None) -> dict:
    """{group value: Stats} in one query on PostgreSQL, two on SQLite (counts, then percentiles)."""
    counts = {
        "attempts": Count("*"),
        "successes": Count("status", filter=Q(status=AttemptStatus.SUCCESS)),
        "last": Max("created"),
    }
    if group_expr is not None:
        queryset = queryset.annotate(**{group: group_expr})
    grouped = queryset.values(group) if group else queryset
    postgres = _is_postgres(queryset)
    if postgres:
        counts["p50"] = PercentileCont("duration_ms", 0.5)
        counts["p95"] = PercentileCont("duration_ms", 0.95)
    if group:
        rows = {row[group]: row for row in grouped.annotate(**counts).order_by()}
    else:
        rows = {None: queryset.aggregate(**counts)}
    percentiles = {} if postgres else _nearest_rank_percentiles(queryset, group)
    result = {}
    for key, row in rows.items():
        p50, p95 = (row.get("p50"), row.get("p95")) if postgres else percentiles.get(key, (None, None))
        result[key] = (Stats(row["attempts"] or 0, row["successes"] or 0, p50, p95), row["last"])
    return result


def _nearest_rank_percentiles(queryset: QuerySet, group: str | None) -> dict:
    """SQLite fallback: rank durations per group with window functions; the p-th percentile is the
    smallest duration whose rank reaches p% of the group's count."""
    partition = [F(group)] if group else [Value(1)]
    ranked = queryset.annotate(
        grp=F(group) if group else Value(1, output_field=IntegerField()),
        ms=F("duration_ms"),
        rn=Window(RowNumber(), partition_by=partition, order_by=F("duration_ms").asc()),
        n=Window(Count("*"), partition_by=partition),
    ).values_list("grp", "ms", "rn", "n")
    sql, params = ranked.query.sql_with_params()
    outer = (
        "SELECT grp, MIN(CASE WHEN rn * 100 >= n * 50 THEN ms END), MIN(CASE WHEN rn * 100 >= n * 95 THEN ms END) "
        f"FROM ({sql}) ranked GROUP BY grp"
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(outer, params)
        rows = cursor.fetchall()
    return {(grp if group else None): (p50, p95) for grp, p50, p95 in rows}


def overall(since: datetime, until: datetime | None = None) -> Stats:
    stats, _ = _grouped_stats(finished_attempts(since, until), None)[None]
    return stats


def subscription_stats(subscription_id: int, since: datetime) -> Stats:
    stats, _ = _grouped_stats(finished_attempts(since).filter(subscription_id=subscription_id), None)[None]
    return stats


def per_subscription(
    since: datetime, *, limit: int = 100, bucket_seconds: int = 3600, now: datetime | None = None
) -> list[SubscriptionHealth]:
    """Every subscription with attempts since `since`, the failing ones first (lowest success rate, then
    most attempts), with its pending backlog and a success-rate trend per bucket."""
    grouped = _grouped_stats(finished_attempts(since), "subscription_id")
    ordered = sorted(grouped.items(), key=lambda item: (item[1][0].success_rate, -item[1][0].attempts))[
        :limit
    ]
    ids = [pk for pk, _ in ordered]
    subscriptions = {
        s.pk: s
        for s in EventSubscription.objects.filter(pk__in=ids)
        .select_related("account")
        .only("pk", "token", "url", "disabled", "account__name")
    }
    backlog = dict(
        Message.objects.filter(
            subscription_id__in=ids, status__in=(MessageStatus.PENDING, MessageStatus.SENDING)
        )
        .values("subscription_id")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("subscription_id", "n")
    )
    trends = _trends(since, ids, bucket_seconds, now or timezone.now())
    rows = []
    for pk, (stats, last) in ordered:
        subscription = subscriptions.get(pk)
        if subscription is None:
            continue
        rows.append(
            SubscriptionHealth(
                subscription_id=pk,
                token=subscription.token,
                url=subscription.url,
                account_name=subscription.account.name,
                disabled=subscription.disabled,
                stats=stats,
                last_attempt_at=last,
                backlog=backlog.get(pk, 0),
                trend=trends.get(pk, []),
            )
        )
    return rows


def _bucket_range(since: datetime, now: datetime, seconds: int) -> list[int]:
    first, last = int(since.timestamp()) // seconds, int(now.timestamp()) // seconds
    return list(range(first, last + 1))


def _trends(since: datetime, ids: list[int], seconds: int, now: datetime) -> dict[int, list[float | None]]:
    if not ids:
        return {}
    rows = (
        finished_attempts(since)
        .filter(subscription_id__in=ids)
        .annotate(bucket=EpochBucket("created", seconds))
        .values("subscription_id", "bucket")
        .annotate(n=Count("*"), ok=Count("status", filter=Q(status=AttemptStatus.SUCCESS)))
        .order_by()
    )
    cells = {(r["subscription_id"], r["bucket"]): r["ok"] / r["n"] for r in rows if r["n"]}
    buckets = _bucket_range(since, now, seconds)
    return {pk: [cells.get((pk, b)) for b in buckets] for pk in ids}


def timeline(
    since: datetime, bucket_seconds: int, *, now: datetime | None = None, subscription_id: int | None = None
) -> list[Bucket]:
    """Successes, failures and p95 latency per fixed-width bucket; empty buckets are included."""
    now = now or timezone.now()
    queryset = finished_attempts(since)
    if subscription_id is not None:
        queryset = queryset.filter(subscription_id=subscription_id)
    grouped = _grouped_stats(queryset, "bucket", EpochBucket("created", bucket_seconds))
    buckets = []
    for index in _bucket_range(since, now, bucket_seconds):
        stats, _ = grouped.get(index, (Stats(), None))
        start = datetime.fromtimestamp(index * bucket_seconds, tz=timezone.get_current_timezone())
        buckets.append(Bucket(start, stats.successes, stats.failures, stats.p95_ms))
    return buckets


def outcome_breakdown(
    since: datetime, *, subscription_id: int | None = None
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(latency histogram, response classes) of finished attempts, both from one aggregate query."""
    bounds = (0, *LATENCY_BUCKETS_MS)
    aggregates = {}
    for index, low in enumerate(bounds):
        high = bounds[index + 1] if index + 1 < len(bounds) else None
        condition = Q(duration_ms__gte=low) & (Q(duration_ms__lt=high) if high else Q())
        aggregates[f"b{index}"] = Count("status", filter=condition)
    code = "response_status_code"
    classes = {
        "2xx": Q(**{f"{code}__gte": 200, f"{code}__lt": 300}),
        "3xx": Q(**{f"{code}__gte": 300, f"{code}__lt": 400}),
        "4xx": Q(**{f"{code}__gte": 400, f"{code}__lt": 500}),
        "5xx": Q(**{f"{code}__gte": 500}),
        "no response": Q(**{code: 0}),
    }
    for index, condition in enumerate(classes.values()):
        aggregates[f"c{index}"] = Count("status", filter=condition)
    queryset = finished_attempts(since)
    if subscription_id is not None:
        queryset = queryset.filter(subscription_id=subscription_id)
    row = queryset.aggregate(**aggregates)
    labels = [f"<{_ms_label(b)}" for b in LATENCY_BUCKETS_MS] + [f"≥{_ms_label(LATENCY_BUCKETS_MS[-1])}"]
    histogram = [(label, row[f"b{i}"] or 0) for i, label in enumerate(labels)]
    responses = [(label, row[f"c{i}"] or 0) for i, label in enumerate(classes)]
    return histogram, responses


def _ms_label(ms: int) -> str:
    return (
        f"{ms // 1000}s"
        if ms >= 1000 and ms % 1000 == 0
        else f"{ms / 1000:.1f}s"
        if ms >= 1000
        else f"{ms}ms"
    )
