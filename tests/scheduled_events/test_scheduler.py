"""The scheduler (DESIGN section 5): occurrences planned per (configuration, entity, fire time), moved and
dropped with the entity, future-only unless backfill, fired exactly once even by concurrent runs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from eventhub.errors import Conflict, InvalidInput
from eventhub.models import Event, EventType
from scheduled_events.firing import fire_due
from scheduled_events.models import ScheduledOccurrence
from scheduled_events.planning import plan_occurrences
from scheduled_events.services import create_configuration, run_scheduler, update_configuration
from tests.conftest import require_service
from tests.scheduled_events.conftest import commit, days, iso, now, on_postgres

pytestmark = pytest.mark.django_db
NAME = "scheduled.commitment.endingSoon"


def ending_soon(account, offset: int = -10, **kwargs):
    return create_configuration(
        account, name=NAME, entity="Commitment", field="endDate", offset=offset, **kwargs
    )


def fired(account, name: str = NAME) -> list[Event]:
    return list(Event.objects.filter(account=account, event_type__name=name).order_by("id"))


def pending(config) -> list[datetime]:
    return list(
        config.occurrences.filter(fired_at__isnull=True, cancelled=False).values_list("fire_at", flat=True)
    )


def test_configuration_event_type_joins_the_catalog_as_scheduled(acme, commitment_types):
    ending_soon(acme.account)
    event_type = EventType.objects.get(name=NAME)
    assert event_type.category == "scheduled" and event_type.example["configuration"]["field"] == "endDate"


def test_a_commitment_ending_in_ten_days_fires_today_exactly_once(acme, commitment_types):
    config = ending_soon(acme.account)
    source = commit(acme.account, "c1", iso(now() + days(10)))
    first, second = run_scheduler(now() + days(0.001)), run_scheduler(now() + days(0.002))
    assert first.fired + second.fired == 1
    [event] = fired(acme.account)
    assert event.caused_by_id == source.id
    assert event.payload["entity"]["id"] == "c1" and event.payload["entity"]["amount"] == 100
    assert event.payload["configuration"] == {
        "id": config.token,
        "name": NAME,
        "entity": "Commitment",
        "field": "endDate",
        "offset": -10,
    }
    assert event.payload["event_type"] == NAME and event.payload["fire_at"].endswith("Z")
    occurrence = ScheduledOccurrence.objects.get(configuration=config)
    assert occurrence.fired_event_id == event.id and occurrence.fired_at is not None


def test_a_date_only_value_fires_at_midnight_utc_on_its_day(acme, commitment_types):
    config = ending_soon(acme.account)
    today = now().date()
    commit(acme.account, "c1", (today + days(10)).isoformat())
    run_scheduler(now())
    assert pending(config) == [] and len(fired(acme.account)) == 1  # today 00:00 is due already
    assert ScheduledOccurrence.objects.get().fire_at == datetime.combine(
        today, datetime.min.time(), tzinfo=UTC
    )


def test_datetime_values_with_a_zone_and_without_are_understood(acme, commitment_types):
    config = ending_soon(acme.account, offset=-1)
    commit(acme.account, "zoned", "2031-03-10T10:00:00+02:00")
    commit(acme.account, "naive", "2031-03-10T10:00:00")
    commit(acme.account, "date", "2031-03-10")
    commit(acme.account, "junk", "next tuesday")
    closing = create_configuration(
        acme.account, name="scheduled.commitment.closing", entity="Commitment", field="closing", offset=-1
    )
    commit(
        acme.account, "basic", None, closing=20310310
    )  # a number in ISO basic format: planned and fired alike
    run_scheduler(now())
    planned = dict(config.occurrences.values_list("entity_id", "fire_at"))
    assert planned == {
        "zoned": datetime(2031, 3, 9, 8, 0, tzinfo=UTC),
        "naive": datetime(2031, 3, 9, 10, 0, tzinfo=UTC),
        "date": datetime(2031, 3, 9, 0, 0, tzinfo=UTC),
    }
    assert dict(closing.occurrences.values_list("entity_id", "fire_at")) == {
        "basic": datetime(2031, 3, 9, tzinfo=UTC)
    }
    assert run_scheduler(datetime(2031, 3, 9, 12, 0, tzinfo=UTC)).fired == 4


def test_a_nested_field_path_is_followed(acme, commitment_types):
    config = create_configuration(
        acme.account, name="scheduled.commitment.termEnd", entity="Commitment", field="terms.end", offset=2
    )
    commit(acme.account, "c1", None, terms={"end": "2031-05-01"})
    commit(acme.account, "c2", None, terms="not an object")
    run_scheduler(now())
    assert dict(config.occurrences.values_list("entity_id", "fire_at")) == {
        "c1": datetime(2031, 5, 3, tzinfo=UTC)
    }


def test_changing_the_date_moves_the_occurrence(acme, commitment_types):
    config = ending_soon(acme.account)
    commit(acme.account, "c1", iso(now() + days(20)))
    run_scheduler(now())
    [before] = pending(config)
    commit(acme.account, "c1", iso(now() + days(30)), action="updated")
    run_scheduler(now())
    [after] = pending(config)
    assert (after - before).days == 10
    assert run_scheduler(before + days(0.1)).fired == 0  # the old time passes silently
    assert run_scheduler(after + days(0.1)).fired == 1
    [event] = fired(acme.account)
    assert event.occurred_at == after


def test_moving_back_restores_the_cancelled_occurrence_once(acme, commitment_types):
    config = ending_soon(acme.account)
    end = iso(now() + days(20))
    commit(acme.account, "c1", end)
    run_scheduler(now())
    commit(acme.account, "c1", iso(now() + days(40)), action="updated")
    run_scheduler(now())
    commit(acme.account, "c1", end, action="updated")
    run_scheduler(now())
    assert len(pending(config)) == 1 and config.occurrences.count() == 2


def test_an_unchanged_date_keeps_the_single_occurrence(acme, commitment_types):
    config = ending_soon(acme.account)
    end = now() + days(20)
    commit(acme.account, "c1", iso(end))
    run_scheduler(now())
    commit(acme.account, "c1", end.isoformat(), action="updated", amount=5)  # same instant, other spelling
    run_scheduler(now())
    assert config.occurrences.count() == 1


def test_deleting_the_entity_drops_its_occurrence(acme, commitment_types):
    config = ending_soon(acme.account)
    commit(acme.account, "c1", iso(now() + days(20)))
    run_scheduler(now())
    commit(acme.account, "c1", iso(now() + days(20)), action="deleted")
    run_scheduler(now())
    assert pending(config) == []
    assert run_scheduler(now() + days(15)).fired == 0


def test_a_move_the_planner_has_not_seen_yet_is_not_fired(acme, commitment_types):
    """Firing re-checks the entity: a stale occurrence is cancelled, not fired."""
    config = ending_soon(acme.account)
    commit(acme.account, "c1", iso(now() + days(20)))
    run_scheduler(now())
    [at] = pending(config)
    commit(acme.account, "c1", iso(now() + days(40)), action="updated")
    assert fire_due(at + days(0.1)) == 0
    assert config.occurrences.get(fire_at=at).cancelled


def test_a_new_configuration_fires_only_for_future_times_unless_backfill(acme, commitment_types):
    commit(acme.account, "past", iso(now() - days(5)))
    commit(acme.account, "future", iso(now() + days(5)))
    future_only = create_configuration(
        acme.account, name="scheduled.commitment.ended", entity="commitment", field="endDate", offset=0
    )
    backfill = create_configuration(
        acme.account,
        name="scheduled.commitment.endedAll",
        entity="commitment",
        field="endDate",
        offset=0,
        backfill=True,
    )
    run_scheduler(now())
    assert [e.payload["entity"]["id"] for e in fired(acme.account, "scheduled.commitment.endedAll")] == [
        "past"
    ]
    assert fired(acme.account, "scheduled.commitment.ended") == []
    assert set(future_only.occurrences.values_list("entity_id", flat=True)) == {"future"}
    run_scheduler(now() + days(6))
    assert len(fired(acme.account, "scheduled.commitment.ended")) == 1
    assert len(fired(acme.account, "scheduled.commitment.endedAll")) == 2
    assert backfill.occurrences.filter(fired_at__isnull=False).count() == 2


def test_changing_the_offset_replans_every_entity(acme, commitment_types):
    config = ending_soon(acme.account, offset=-10)
    commit(acme.account, "c1", iso(now() + days(30)))
    run_scheduler(now())
    [before] = pending(config)
    config = update_configuration(
        config, name=NAME, entity="Commitment", field="endDate", offset=-5, version=1
    )
    run_scheduler(now())
    [after] = pending(config)
    assert (after - before).days == 5 and config.version == 2


def test_deactivating_a_configuration_cancels_its_pending_occurrences(acme, commitment_types):
    config = ending_soon(acme.account)
    commit(acme.account, "c1", iso(now() + days(20)))
    run_scheduler(now())
    config = update_configuration(
        config, name=NAME, entity="Commitment", field="endDate", offset=-10, active=False
    )
    run_scheduler(now())
    assert pending(config) == []
    assert run_scheduler(now() + days(15)).fired == 0


def test_invalid_configurations_name_the_field(acme, commitment_types):
    cases = [
        ({"name": "scheduled.bill.x"}, "name"),
        ({"name": "commitment.ending"}, "name"),
        ({"name": "scheduled.commitment.created"}, "name"),
        ({"field": "terms..end"}, "field"),
        ({"field": "a__b"}, "field"),
        ({"offset": 1.5}, "offset"),
        ({"offset": 10**9}, "offset"),
        ({"entity": "bad entity"}, "entity"),
    ]
    for change, field in cases:
        values = {"name": NAME, "entity": "Commitment", "field": "endDate", "offset": 1, **change}
        with pytest.raises(InvalidInput) as caught:
            create_configuration(acme.account, **values)
        assert field in caught.value.errors, (change, caught.value.errors)


def test_names_are_unique_per_account_and_versions_are_checked(acme, globex, commitment_types):
    config = ending_soon(acme.account)
    ending_soon(globex.account)  # same name, other account
    with pytest.raises(Conflict):
        ending_soon(acme.account)
    with pytest.raises(Conflict):
        update_configuration(config, name=NAME, entity="Commitment", field="endDate", offset=1, version=2)


def test_entities_of_other_accounts_and_types_are_ignored(acme, globex, commitment_types):
    config = ending_soon(acme.account)
    commit(globex.account, "g1", iso(now() + days(20)))
    run_scheduler(now())
    assert pending(config) == []


def test_sequential_runs_fire_once_on_any_database(acme, commitment_types):
    ending_soon(acme.account)
    for index in range(5):
        commit(acme.account, f"c{index}", iso(now() + days(10)))
    total = sum(run_scheduler(now() + days(0.01)).fired for _ in range(3))
    assert total == 5 and len(fired(acme.account)) == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("runner", ["run_scheduler", "small_batches"])
def test_two_concurrent_runs_fire_each_occurrence_once(acme, commitment_types, runner):
    if not on_postgres():
        require_service(
            "PostgreSQL", "concurrent scheduler runs need row locks (SELECT ... FOR UPDATE SKIP LOCKED)"
        )
    ending_soon(acme.account)
    for index in range(60):
        commit(acme.account, f"c{index}", iso(now() + days(10)))
    plan_occurrences()  # both runs then race for the same 60 due occurrences
    at = now() + days(0.01)
    run = (
        (lambda: run_scheduler(at).fired)
        if runner == "run_scheduler"
        else (lambda: fire_due(at, batch_size=3))
    )
    barrier, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            barrier.wait()
            results.append(run())
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(results) == 60
    assert len(fired(acme.account)) == 60
    assert ScheduledOccurrence.objects.filter(fired_at__isnull=False).count() == 60
