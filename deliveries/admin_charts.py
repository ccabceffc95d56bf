"""Server-rendered SVG charts for the delivery-health page: the hub runs offline, so no CDN and no
JavaScript charting library. Colours come from CSS classes (eventhub/admin.css) so dark mode works.
Every text that reaches the markup is escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from deliveries.health import Bucket
from eventhub.admin_base import duration


def _nice_max(value: float) -> float:
    """Round an axis maximum up to 1, 2 or 5 × 10^n so gridlines land on readable numbers."""
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _compact(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:.0f}"


def _label_time(start: datetime, bucket_seconds: int) -> str:
    return start.strftime("%a %H:%M") if bucket_seconds >= 6 * 3600 else start.strftime("%H:%M")


def timeline_chart(
    buckets: Sequence[Bucket], bucket_seconds: int, *, width: int = 960, height: int = 260, title: str = ""
) -> SafeString:
    """Stacked bars of successful and failed attempts per bucket, with the p95 latency as a line on
    a second axis. Each bar has a <title> tooltip with its exact numbers."""
    left, right, top, bottom = 48, 56, 16, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    # Four gridline steps of a round size (at least 1 attempt / 1 ms), so every axis label is distinct.
    count_max = 4 * max(1.0, _nice_max(max((b.successes + b.failures for b in buckets), default=0) / 4))
    latencies = [b.p95_ms for b in buckets if b.p95_ms is not None]
    latency_max = 4 * max(1.0, _nice_max(max(latencies, default=0) / 4))
    n = max(len(buckets), 1)
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.72)
    parts = [
        f'<svg class="eh-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or "Attempts over time")}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for i in range(5):
        value = count_max * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line class="eh-grid" x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="eh-axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_compact(value)}</text>'
        )
        if latencies:
            parts.append(
                f'<text class="eh-axis eh-axis-latency" x="{left + plot_w + 6}" y="{y + 4:.1f}">{escape(duration(latency_max * i / 4))}</text>'
            )
    label_every = max(1, math.ceil(n / 8))
    points = []
    for index, bucket in enumerate(buckets):
        x = left + slot * index + (slot - bar_w) / 2
        ok_h = plot_h * bucket.successes / count_max
        fail_h = plot_h * bucket.failures / count_max
        base = top + plot_h
        total = bucket.successes + bucket.failures
        rate = f"{100 * bucket.successes / total:.1f}% ok" if total else "no attempts"
        tip = (
            f"{bucket.start:%Y-%m-%d %H:%M} UTC — {bucket.successes} succeeded, {bucket.failures} failed ({rate})"
            + (f", p95 {duration(bucket.p95_ms)}" if bucket.p95_ms is not None else "")
        )
        parts.append(f"<g><title>{escape(tip)}</title>")
        parts.append(
            f'<rect class="eh-hit" x="{left + slot * index:.1f}" y="{top}" width="{slot:.1f}" height="{plot_h}"/>'
        )
        if ok_h:
            parts.append(
                f'<rect class="eh-ok" x="{x:.1f}" y="{base - ok_h:.1f}" width="{bar_w:.1f}" height="{ok_h:.1f}" rx="1.5"/>'
            )
        if fail_h:
            parts.append(
                f'<rect class="eh-fail" x="{x:.1f}" y="{base - ok_h - fail_h:.1f}" width="{bar_w:.1f}" height="{fail_h:.1f}" rx="1.5"/>'
            )
        parts.append("</g>")
        if index % label_every == 0:
            parts.append(
                f'<text class="eh-axis" x="{left + slot * index + slot / 2:.1f}" y="{height - 12}" text-anchor="middle">'
                f"{escape(_label_time(bucket.start, bucket_seconds))}</text>"
            )
        if bucket.p95_ms is not None:
            points.append(
                f"{left + slot * index + slot / 2:.1f},{top + plot_h - plot_h * bucket.p95_ms / latency_max:.1f}"
            )
    if len(points) > 1:
        parts.append(f'<polyline class="eh-latency" points="{" ".join(points)}"/>')
    for point in points:
        x, y = point.split(",")
        parts.append(f'<circle class="eh-latency-dot" cx="{x}" cy="{y}" r="2.2"/>')
    parts.append(
        f'<line class="eh-baseline" x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text above is escaped or numeric


def bar_list(
    items: Sequence[tuple[str, int]],
    *,
    width: int = 460,
    row: int = 26,
    css: Sequence[str] | None = None,
    title: str = "",
) -> SafeString:
    """Horizontal bars with a label and a count, e.g. the latency histogram or response classes."""
    label_w, count_w = 96, 70
    total = sum(count for _, count in items) or 1
    peak = max((count for _, count in items), default=0) or 1
    height = row * len(items) + 8
    parts = [
        f'<svg class="eh-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (label, count) in enumerate(items):
        y = 4 + index * row
        bar = (width - label_w - count_w) * count / peak
        klass = css[index] if css and index < len(css) else "eh-bar"
        parts.append(f"<g><title>{escape(label)}: {count} ({100 * count / total:.1f}%)</title>")
        parts.append(
            f'<text class="eh-axis" x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect class="eh-track" x="{label_w}" y="{y + 4}" width="{width - label_w - count_w}" height="{row - 8}" rx="3"/>'
        )
        if bar:
            parts.append(
                f'<rect class="{klass}" x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="{row - 8}" rx="3"/>'
            )
        parts.append(
            f'<text class="eh-axis eh-strong" x="{width - count_w + 8}" y="{y + row / 2 + 4:.1f}">{_compact(count)}</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308


def rate_ring(rate: float | None, *, size: int = 92, label: str = "success") -> SafeString:
    """A ring gauge of a success rate, coloured by health (good ≥ 99 %, degraded ≥ 90 %, failing)."""
    radius, stroke = size / 2 - 7, 9
    circumference = 2 * math.pi * radius
    if rate is None:
        klass, text, filled = "eh-ring-none", "—", 0.0
    else:
        klass = "eh-ring-good" if rate >= 0.99 else "eh-ring-warn" if rate >= 0.9 else "eh-ring-bad"
        text, filled = percent(rate), circumference * rate
    c = size / 2
    return mark_safe(  # noqa: S308 - numbers and a fixed label only
        f'<svg class="eh-ring {klass}" width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(label)} {escape(text)}" xmlns="http://www.w3.org/2000/svg">'
        f'<circle class="eh-ring-track" cx="{c}" cy="{c}" r="{radius:.1f}" stroke-width="{stroke}" fill="none"/>'
        f'<circle class="eh-ring-value" cx="{c}" cy="{c}" r="{radius:.1f}" stroke-width="{stroke}" fill="none" '
        f'stroke-dasharray="{filled:.1f} {circumference:.1f}" transform="rotate(-90 {c} {c})" stroke-linecap="round"/>'
        f'<text x="{c}" y="{c + 5}" text-anchor="middle" class="eh-ring-text">{escape(text)}</text></svg>'
    )


def sparkline(values: Sequence[float | None], *, width: int = 140, height: int = 26) -> SafeString:
    """One small bar per bucket: height and colour show the success rate; gaps are buckets without attempts."""
    if not values:
        return mark_safe("")
    slot = width / len(values)
    parts = [
        f'<svg class="eh-spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" aria-hidden="true">'
    ]
    for index, value in enumerate(values):
        x = index * slot + 0.5
        if value is None:
            parts.append(
                f'<rect class="eh-track" x="{x:.1f}" y="{height - 2}" width="{max(slot - 1, 1):.1f}" height="2"/>'
            )
            continue
        h = max(3.0, (height - 2) * value)
        klass = "eh-ok" if value >= 0.99 else "eh-warn" if value >= 0.9 else "eh-fail"
        parts.append(
            f'<rect class="{klass}" x="{x:.1f}" y="{height - h:.1f}" width="{max(slot - 1, 1):.1f}" height="{h:.1f}" rx="1"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308


def percent(rate: float) -> str:
    if rate >= 0.9995:
        return "100%" if rate == 1 else "99.9%"
    return f"{100 * rate:.1f}%"
