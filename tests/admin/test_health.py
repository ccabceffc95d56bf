"""The delivery-health page and its selectors: success rate, volume and p50/p95 latency per
subscription and overall, failing subscriptions first, charts as inline SVG."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from deliveries import health
from subscriptions.services import create_subscription


@pytest.fixture
def two_endpoints(world):
    """A healthy endpoint (100 % ok) and a failing one (1 in 2 fails), with known latencies."""
    failing = create_subscription(world.account, url="https://failing.example.com/hook")
    world.add_deliveries(20, duration_ms=100)  # durations 100..119
    world.add_deliveries(10, failed_every=2, subscription=failing, duration_ms=1000)  # 1000..1009
    return world.subscription, failing


@pytest.mark.django_db
def test_overall_and_per_subscription_stats(two_endpoints):
    healthy, failing = two_endpoints
    since = timezone.now() - timedelta(hours=1)
    overall = health.overall(since)
    assert (overall.attempts, overall.successes) == (30, 25)
    rows = health.per_subscription(since)
    assert [r.subscription_id for r in rows] == [failing.pk, healthy.pk]  # failing first
    assert rows[0].stats.success_rate == 0.5
    assert 100 <= rows[1].stats.p50_ms <= 119 and rows[1].stats.p95_ms >= rows[1].stats.p50_ms
    assert 1000 <= rows[0].stats.p95_ms <= 1009


@pytest.mark.django_db
def test_percentiles_match_the_definition(world):
    world.add_deliveries(100, duration_ms=1)  # durations 1..100
    stats = health.overall(timezone.now() - timedelta(hours=1))
    if connection.vendor == "postgresql":  # percentile_cont interpolates
        assert stats.p50_ms == pytest.approx(50.5) and stats.p95_ms == pytest.approx(95.05)
    else:  # nearest rank
        assert (stats.p50_ms, stats.p95_ms) == (50, 95)


@pytest.mark.django_db
def test_old_attempts_are_outside_the_window(world):
    world.add_deliveries(5, age=timedelta(days=2))
    assert health.overall(timezone.now() - timedelta(days=1)).attempts == 0
    assert health.overall(timezone.now() - timedelta(days=7)).attempts == 5


@pytest.mark.django_db
def test_timeline_buckets_cover_the_window(two_endpoints):
    now = timezone.now()
    buckets = health.timeline(now - timedelta(hours=24), 3600, now=now)
    assert len(buckets) in (24, 25)
    assert sum(b.successes + b.failures for b in buckets) == 30
    assert sum(b.failures for b in buckets) == 5


@pytest.mark.django_db
@pytest.mark.parametrize("window", ["1h", "24h", "7d"])
def test_health_page_renders_charts_and_failing_first(staff, two_endpoints, window):
    healthy, failing = two_endpoints
    page = staff.get(reverse("admin:deliveries_health"), {"window": window}).content.decode()
    assert page.count("<svg") >= 6  # rings, timeline, histogram, responses, sparklines
    assert 'id="eh-timeline"' in page and "<rect" in page and "eh-latency-dot" in page
    assert page.index(failing.url) < page.index(healthy.url)
    assert "50.0%" in page
    assert "cdn" not in page.lower() and '<script src="http' not in page


@pytest.mark.django_db
def test_health_page_for_one_subscription(staff, two_endpoints):
    _, failing = two_endpoints
    page = staff.get(reverse("admin:deliveries_health"), {"subscription": failing.token}).content.decode()
    assert failing.url in page and 'id="eh-subscription-health"' not in page


@pytest.mark.django_db
def test_health_page_is_linked_from_the_index_and_needs_staff(staff, client, world):
    assert reverse("admin:deliveries_health") in staff.get(reverse("admin:index")).content.decode()
    assert client.get(reverse("admin:deliveries_health")).status_code == 302  # to the login page


@pytest.mark.django_db
def test_empty_health_page(staff, db):
    page = staff.get(reverse("admin:deliveries_health")).content.decode()
    assert "No attempts in this window." in page


@pytest.mark.django_db
def test_health_numbers_are_cached_briefly_and_can_be_recomputed(
    staff, world, settings, django_assert_max_num_queries
):
    from django.core.cache import cache

    settings.EVENTHUB_HEALTH_CACHE_SECONDS = 30
    cache.clear()
    world.add_deliveries(3)
    url = reverse("admin:deliveries_health")
    assert "<strong>3</strong> attempts" in staff.get(url).content.decode()
    world.add_deliveries(2)
    with django_assert_max_num_queries(4):  # session, user, and no aggregate
        assert "<strong>3</strong> attempts" in staff.get(url).content.decode()
    assert "<strong>5</strong> attempts" in staff.get(url, {"refresh": "1"}).content.decode()
    cache.clear()
