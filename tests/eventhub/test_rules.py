"""Notification rules (DESIGN section 6): evaluated on each matching event with `new`/`old`, emitting
`notification.<code>` caused by it; calculations are checked when saved and bounded when run."""

from __future__ import annotations

import pytest

from eventhub.errors import Conflict, InvalidInput
from eventhub.models import Event, EventType
from eventhub.services.catalog import create_event_type
from eventhub.services.ingest import publish
from eventhub.services.rules import create_rule, delete_rule, update_rule
from scheduled_events.services import create_configuration, run_scheduler
from tests.scheduled_events.conftest import commit, days, iso, now

pytestmark = pytest.mark.django_db
NINETY_PERCENT = (
    "(new.amountSpent >= ((new.amount*90)/100)) AND "
    "((old.amountSpent <= ((old.amount*90)/100)) OR (old.amountSpent == null))"
)
UPDATED = "configuration.commitment.updated"


def rule(account, code="spend_90", **fields):
    values = {
        "name": "90 % spent",
        "description": "",
        "event_name": UPDATED,
        "calculation": NINETY_PERCENT,
        **fields,
    }
    return create_rule(account, code=code, **values)


def spend(account, amount_spent, commitment_id="c1", action="updated"):
    return publish(
        account,
        f"configuration.commitment.{action}",
        {"id": commitment_id, "amount": 100, "amountSpent": amount_spent},
    ).event


def notifications(account, code="spend_90"):
    return list(Event.objects.filter(account=account, event_type__name=f"notification.{code}").order_by("id"))


def test_the_ninety_percent_rule_fires_when_the_threshold_is_crossed_and_not_after(acme, event_types):
    rule(acme.account)
    spend(acme.account, 0, action="created")
    spend(acme.account, 50)
    assert notifications(acme.account) == []
    crossing = spend(acme.account, 91)
    [notification] = notifications(acme.account)
    assert notification.caused_by_id == crossing.id
    spend(acme.account, 95)  # still above: old was above too
    assert len(notifications(acme.account)) == 1
    assert (
        notification.payload["new"]["amountSpent"] == 91 and notification.payload["old"]["amountSpent"] == 50
    )
    assert notification.payload["source_event"] == {"token": crossing.token, "event_type": UPDATED}
    assert notification.payload["rule"]["code"] == "spend_90"


def test_a_first_update_above_the_threshold_fires_because_old_is_null(acme, event_types):
    rule(acme.account)
    spend(acme.account, 99)
    assert len(notifications(acme.account)) == 1


def test_notification_type_joins_the_catalog(acme, event_types):
    rule(acme.account)
    event_type = EventType.objects.get(name="notification.spend_90")
    assert event_type.category == "notification" and event_type.example["rule"]["code"] == "spend_90"


def test_always_fire_ignores_the_calculation(acme, event_types):
    rule(acme.account, code="every", calculation="", always_fire_event=True)
    spend(acme.account, 1)
    spend(acme.account, 2)
    assert len(notifications(acme.account, "every")) == 2


def test_an_inactive_rule_never_fires(acme, event_types):
    rule(acme.account, active=False)
    spend(acme.account, 99)
    assert notifications(acme.account) == []


def test_rules_see_only_their_own_account_and_event_type(acme, globex, event_types):
    rule(acme.account)
    spend(globex.account, 99)
    publish(acme.account, "configuration.commitment.created", {"id": "c2", "amount": 100, "amountSpent": 99})
    assert notifications(acme.account) == [] and notifications(globex.account) == []


def test_updating_the_calculation_takes_effect_at_once(acme, event_types):
    saved = rule(acme.account, calculation="new.amountSpent > 1000")
    spend(acme.account, 99)
    update_rule(saved, {"calculation": "new.amountSpent > 10"}, version=1)
    spend(acme.account, 98)
    assert len(notifications(acme.account)) == 1


def test_a_stale_version_is_a_conflict(acme, event_types):
    saved = rule(acme.account)
    update_rule(saved, {"name": "renamed"}, version=1)
    with pytest.raises(Conflict):
        update_rule(saved, {"name": "again"}, version=1)


def test_a_deleted_rule_stops_firing(acme, event_types):
    delete_rule(rule(acme.account))
    spend(acme.account, 99)
    assert notifications(acme.account) == []


@pytest.mark.parametrize(
    ("calculation", "fragment"),
    [
        ("new.amount >", "position 12"),
        ("new.amount > 'x", "position 13"),
        ("(" * 100 + "1" + ")" * 100, "nested too deeply"),
        ("(" * 10_000, "too long"),
        ("+".join(["1"] * 1500), "too"),
    ],
    ids=["dangling-operator", "unterminated-string", "deep-nesting", "huge", "too-many-nodes"],
)
def test_invalid_calculations_are_refused_when_saved(acme, event_types, calculation, fragment):
    with pytest.raises(InvalidInput) as caught:
        rule(acme.account, calculation=calculation)
    assert fragment in caught.value.errors["calculation"][0]


def test_a_syntax_error_is_a_400_with_its_position_through_the_api(acme, event_types):
    response = acme.client().post(
        f"/organizations/{acme.token}/notifications/configurations",
        {
            "name": "n",
            "code": "bad",
            "description": "",
            "eventName": UPDATED,
            "calculation": "new.amount >> 3",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert "position 12" in body["errors"]["calculation"][0]
    assert "position 12" in body["message"]


def test_a_pathological_but_valid_calculation_is_bounded_at_run_time(acme, event_types):
    rule(acme.account, code="huge", calculation="(9 ^ 9 ^ 9 ^ 9) > new.amountSpent")
    rule(acme.account, code="deep", calculation=" + ".join(["new.amountSpent"] * 50) + " > 0")
    spend(acme.account, 1)
    assert notifications(acme.account, "huge") == []  # out-of-range arithmetic is null, not a hang
    assert len(notifications(acme.account, "deep")) == 1


def test_rules_without_a_calculation_must_always_fire(acme, event_types):
    with pytest.raises(InvalidInput) as caught:
        rule(acme.account, calculation="")
    assert "calculation" in caught.value.errors


def test_an_unknown_event_name_is_refused(acme, event_types):
    with pytest.raises(InvalidInput) as caught:
        rule(acme.account, event_name="no.such.type")
    assert "event_name" in caught.value.errors


def test_a_rule_on_a_scheduled_event_type_fires_from_the_scheduler(acme):
    for action in ("created", "updated", "deleted"):
        create_event_type(f"configuration.commitment.{action}", category="configuration")
    create_configuration(
        acme.account, name="scheduled.commitment.ending", entity="Commitment", field="endDate", offset=-10
    )
    rule(
        acme.account,
        code="big_ending",
        event_name="scheduled.commitment.ending",
        calculation="new.entity.amount >= 100",
    )
    commit(acme.account, "small", iso(now() + days(10)), amount=5)
    commit(acme.account, "big", iso(now() + days(10)), amount=500)
    run_scheduler(now() + days(0.01))
    [notification] = notifications(acme.account, "big_ending")
    assert notification.caused_by.event_type_name == "scheduled.commitment.ending"
    assert notification.caused_by.payload["entity"]["id"] == "big"


def test_a_notification_can_drive_another_rule_and_keeps_the_causal_chain(acme, event_types):
    rule(acme.account, code="first", always_fire_event=True, calculation="")
    rule(acme.account, code="second", event_name="notification.first", always_fire_event=True, calculation="")
    source = spend(acme.account, 1)
    [second] = notifications(acme.account, "second")
    assert second.caused_by.event_type_name == "notification.first"
    assert second.caused_by.caused_by_id == source.id


@pytest.mark.parametrize("limit", [2, 4])
def test_a_self_triggering_rule_stops_at_the_causal_depth_limit(acme, event_types, settings, limit):
    settings.EVENTHUB_MAX_CAUSAL_DEPTH = limit
    loop = rule(acme.account, code="loop", always_fire_event=True, calculation="")
    update_rule(loop, {"event_name": "notification.loop"})  # now it listens to its own notifications
    publish(acme.account, "notification.loop", {"seed": True})
    assert len(notifications(acme.account, "loop")) == 1 + limit


def test_rule_queries_are_batched(acme, event_types, django_assert_max_num_queries):
    rule(acme.account)
    spend(acme.account, 0, action="created")
    with django_assert_max_num_queries(20):
        spend(acme.account, 95)
    assert len(notifications(acme.account)) == 1
