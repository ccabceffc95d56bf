"""eventhub 0004 + scheduled_events 0003: existing global notification./scheduled. rows move to the
accounts of the rules and configurations that created them, with their events repointed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from eventhub.models import Event, EventType

BEFORE = [("eventhub", "0004_ratelimit_cache_table"), ("scheduled_events", "0002_scheduler_state")]
AFTER = [
    ("eventhub", "0005_account_owned_event_types"),
    ("scheduled_events", "0003_account_owned_scheduled_types"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _migrate_to_latest() -> None:
    """AFTER is not the latest state once later migrations exist: the assertions use today's models, and
    the rest of the suite expects the newest schema."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_derived_types_are_split_per_owning_account_and_events_follow():
    old = _migrate(BEFORE)
    try:
        Account, OldType = old.get_model("eventhub", "Account"), old.get_model("eventhub", "EventType")
        OldEvent, Rule = old.get_model("eventhub", "Event"), old.get_model("eventhub", "NotificationRule")
        Config = old.get_model("scheduled_events", "ScheduledEventConfiguration")
        a, b = Account.objects.create(name="A"), Account.objects.create(name="B")
        OldType.objects.create(name="card.created")
        OldType.objects.create(
            name="notification.lowbal", category="notification", example={"rule": {"name": "A's"}}
        )
        OldType.objects.create(name="notification.gone", category="notification")
        OldType.objects.create(name="scheduled.commitment.end", category="scheduled")
        Rule.objects.create(account=a, name="A's", code="lowbal", event_name="card.created", token="nr_a")
        Rule.objects.create(account=b, name="B's", code="lowbal", event_name="card.created", token="nr_b")
        Config.objects.create(
            account=b, name="scheduled.commitment.end", entity="commitment", field="endDate", offset=1
        )
        now = timezone.now()
        for account, type_name, token in (
            (a, "card.created", "evt_1"),
            (a, "notification.lowbal", "evt_2"),
            (b, "notification.lowbal", "evt_3"),
            (a, "notification.gone", "evt_4"),
            (b, "scheduled.commitment.end", "evt_5"),
        ):
            OldEvent.objects.create(
                token=token, account=account, event_type_id=type_name, created=now, occurred_at=now
            )
    finally:
        _migrate(AFTER)
        _migrate_to_latest()

    a_key, b_key = f"notification.lowbal@{a.token}", f"notification.lowbal@{b.token}"
    assert not EventType.objects.filter(account=None, name__startswith="notification.").exists()
    assert not EventType.objects.filter(account=None, name__startswith="scheduled.").exists()
    assert EventType.objects.get(key="card.created").account_id is None
    a_type, b_type = EventType.objects.get(key=a_key), EventType.objects.get(key=b_key)
    assert (a_type.account_id, b_type.account_id) == (a.id, b.id)
    assert a_type.example["rule"]["id"] == "nr_a" and b_type.example["rule"]["name"] == "B's"
    assert not a_type.archived and not b_type.archived
    gone = EventType.objects.get(name="notification.gone")
    assert (gone.account_id, gone.archived) == (a.id, True)  # events but no rule: A's, retired
    assert EventType.objects.get(name="scheduled.commitment.end").account_id == b.id
    events = dict(Event.objects.values_list("token", "event_type_id"))
    assert events["evt_1"] == "card.created"
    assert (events["evt_2"], events["evt_3"]) == (a_key, b_key)
    assert Event.objects.get(token="evt_3").event_type_name == "notification.lowbal"
    assert events["evt_5"] == f"scheduled.commitment.end@{b.token}"
