"""Every admin list page runs a fixed number of queries however many rows it shows (no N+1), and
never counts a whole table: counting is capped (LIMIT) or estimated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deliveries.models import RecoveryJob
from eventhub.models import Entity, Event
from eventhub.services.accounts import issue_api_key
from eventhub.services.audit import record_audit
from eventhub.services.rules import create_rule
from scheduled_events.models import ScheduledOccurrence
from scheduled_events.services import create_configuration
from subscriptions.integrations import create_integration, create_webhook_destination
from subscriptions.services import create_subscription
from tests.admin.conftest import World

CHANGELISTS = [
    "eventhub_account",
    "eventhub_apikey",
    "eventhub_eventtype",
    "eventhub_event",
    "eventhub_entity",
    "eventhub_notificationrule",
    "eventhub_auditlogentry",
    "subscriptions_eventsubscription",
    "subscriptions_integrationconfiguration",
    "deliveries_message",
    "deliveries_messageattempt",
    "deliveries_recoveryjob",
    "scheduled_events_scheduledeventconfiguration",
    "scheduled_events_scheduledoccurrence",
]
FILTERED = [
    ("deliveries_messageattempt", {"status": "FAILED", "code": "5xx", "created_within": "24h"}),
    ("deliveries_message", {"status": "FAILED", "created_within": "7d"}),
    ("eventhub_event", {"category": "other", "event_type": "card.created", "created_within": "24h"}),
    ("eventhub_auditlogentry", {"action": "subscription."}),
]


def populate(world: World, n: int, offset: int) -> None:
    """n more rows of every model an admin list shows, related to each other as in production."""
    now = timezone.now()
    subscriptions = [
        create_subscription(world.account, url=f"https://hooks.example.com/{offset + i}") for i in range(n)
    ]
    for subscription in subscriptions:
        world.add_deliveries(3, failed_every=2, subscription=subscription)
        issue_api_key(world.account, name=f"key {offset}")
        record_audit("subscription.disabled", target=subscription, reason="test")
        RecoveryJob.objects.create(
            account=world.account,
            subscription=subscription,
            kind="recover",
            begin=now - timedelta(days=1),
            end=now,
            created=now,
        )
    events = list(Event.objects.order_by("-id")[: n * 2])
    for index, event in enumerate(events[:n]):
        event.caused_by = events[n + index] if n + index < len(events) else None
        event.save(update_fields=["caused_by"])
        Entity.objects.create(
            account=world.account,
            entity_type="commitment",
            entity_id=f"e{offset + index}",
            data={"id": index},
            state_at=now,
            last_event=event,
        )
        rule = create_rule(
            world.account,
            name=f"rule {offset + index}",
            code=f"rule_{offset + index}",
            event_name="card.created",
            always_fire_event=True,
        )
        destination = create_webhook_destination(
            world.account,
            url=f"https://hooks.example.com/billing/{offset + index}",
            name=f"destination {offset + index}",
            credentials={"type": "M3TER_SIGNED_REQUEST", "apiKey": "key", "secret": "secret"},
        )
        create_integration(
            world.account,
            destination="WEBHOOK",
            entity_type="Notification",
            destination_id=destination.token,
            entity_id=rule.token,  # the status column checks that the rule still exists
        )
        configuration = create_configuration(
            world.account,
            name=f"scheduled.commitment.ends_{offset + index}",
            entity="commitment",
            field="endDate",
            offset=-index,
        )
        ScheduledOccurrence.objects.create(
            configuration=configuration,
            account=world.account,
            entity_id=f"e{index}",
            fire_at=now + timedelta(days=index),
        )


def count_queries(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured), [q["sql"] for q in captured.captured_queries]


@pytest.mark.django_db
def test_changelist_query_counts_do_not_grow_with_rows(staff, world):
    populate(world, 4, 0)
    urls = [reverse(f"admin:{name}_changelist") for name in CHANGELISTS]
    urls += [
        reverse(f"admin:{name}_changelist") + "?" + "&".join(f"{k}={v}" for k, v in params.items())
        for name, params in FILTERED
    ]
    small = {url: count_queries(staff, url)[0] for url in urls}
    populate(world, 8, 100)  # 3N in all
    large = {url: count_queries(staff, url)[0] for url in urls}
    grown = {url: (small[url], large[url]) for url in urls if large[url] > small[url]}
    assert not grown, f"queries grew with rows (N+1): {grown}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["eventhub_event", "deliveries_message", "deliveries_messageattempt", "eventhub_auditlogentry"]
)
def test_big_changelists_count_with_a_cap_never_the_whole_table(staff, world, name):
    world.add_deliveries(5, failed_every=2)
    _, statements = count_queries(staff, reverse(f"admin:{name}_changelist"))
    counts = [sql for sql in statements if "COUNT(" in sql.upper()]
    assert counts, "the page shows a (capped) count"
    for sql in counts:
        assert "LIMIT" in sql.upper() or "pg_class" in sql, f"uncapped count: {sql}"


@pytest.mark.django_db
def test_a_list_page_queries_a_constant_small_number_of_statements(staff, world):
    world.add_deliveries(60, failed_every=3)
    for name in ("eventhub_event", "deliveries_message", "deliveries_messageattempt"):
        queries, _ = count_queries(staff, reverse(f"admin:{name}_changelist"))
        assert queries <= 12, (name, queries)
