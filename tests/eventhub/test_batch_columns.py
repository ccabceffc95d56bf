"""A batch's rows are written column by column (eventhub/bulk.py sends a column whose values are all the
same once; fan-out sends each event's account and time once): every row still gets its own values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deliveries.models import Message
from eventhub.bulk import bulk_insert
from eventhub.models import Event
from eventhub.services.ingest import Submission, publish_batch
from subscriptions.services import create_subscription

pytestmark = pytest.mark.django_db


def test_payloads_python_takes_for_equal_are_stored_as_sent(acme, event_types):
    results = publish_batch(
        acme.account,
        [Submission("card.created", {"x": value}) for value in (True, 1, 1.0)],
    )
    stored = {e.token: e.payload["x"] for e in Event.objects.filter(account=acme.account)}
    assert [type(stored[r.event.token]) for r in results] == [bool, int, float]


def test_shared_and_differing_columns_round_trip(acme, event_types):
    early = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    results = publish_batch(
        acme.account,
        [
            Submission("card.created", {"card_token": "a"}),
            Submission("card.created", {"card_token": "b"}, "key-b", early),
            Submission("card.updated", {"card_token": "c"}),
        ],
    )
    rows = {e.token: e for e in Event.objects.filter(account=acme.account)}
    a, b, c = (rows[r.event.token] for r in results)
    assert (a.event_type_name, b.event_type_name, c.event_type_name) == (
        "card.created",
        "card.created",
        "card.updated",
    )
    assert b.occurred_at == early and a.occurred_at == c.occurred_at == a.created != early
    assert (a.idempotency_key, b.idempotency_key, c.idempotency_key) == (None, "key-b", None)
    assert a.caused_by_id is None and a.schema_errors is None and a.account_id == acme.account.id


def test_fan_out_gives_each_message_its_events_account_and_time_in_publish_order(acme, event_types):
    subscriptions = [create_subscription(acme.account, url=f"https://127.0.0.1/{n}") for n in range(3)]
    results = publish_batch(
        acme.account, [Submission("card.created", {"card_token": f"c{n}"}) for n in range(4)]
    )
    messages = list(Message.objects.filter(account=acme.account).order_by("id"))
    assert [m.event_id for m in messages] == [r.event.id for r in results for _ in subscriptions]
    assert {(m.event_id, m.subscription_id) for m in messages} == {
        (r.event.id, s.id) for r in results for s in subscriptions
    }
    events = {r.event.id: r.event for r in results}
    assert all(m.created == m.next_attempt_at == events[m.event_id].created for m in messages)
    assert {m.account_id for m in messages} == {acme.account.id}


def test_a_single_row_insert_stores_every_column_as_the_orm_does(acme, event_types):
    """One row goes as scalar parameters (not one-element arrays): each column must come back as
    bulk_create would have written it, JSON types and NULLs included."""
    cause = publish_batch(acme.account, [Submission("card.created", {"card_token": "cause"})])[0].event
    when = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

    def event(token: str) -> Event:
        return Event(
            token=token,
            account=acme.account,
            event_type=event_types["card.updated"],
            payload={
                "flag": True,
                "one": 1,
                "float": 1.0,
                "none": None,
                "text": "é\u2028'\"\\",
                "list": [1, {}],
            },
            created=when,
            occurred_at=when,
            processed_at=None,
            idempotency_key=f"k'{token}",
            caused_by=cause,
            schema_errors=[{"path": "amount", "message": "bad"}],
            entity_type="card",
            entity_id="c1",
            previous_state={"a": [True, 1]},
            awaiting_action=True,
        )

    bulk_insert(Event, [event("evt_scalar")])
    Event.objects.bulk_create([event("evt_orm")])

    def columns(token: str) -> dict:
        row = Event.objects.get(token=token)
        return {
            f.attname: getattr(row, f.attname)
            for f in Event._meta.concrete_fields
            if f.attname not in ("id", "token", "idempotency_key")
        }

    assert columns("evt_scalar") == columns("evt_orm")
    assert Event.objects.get(token="evt_scalar").idempotency_key == "k'evt_scalar"
    stored = Event.objects.get(token="evt_scalar").payload
    assert [type(stored[k]) for k in ("flag", "one", "float")] == [bool, int, float]
