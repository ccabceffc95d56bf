"""A batch's rows are written column by column (eventhub/bulk.py sends a column whose values are all the
same once, the JSON values as one document, ids, texts and times as joined strings; fan-out reads each
event's id, account and time from the inserted rows): every row still gets exactly its own values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from deliveries.models import Message
from eventhub import tokens
from eventhub.bulk import SEPARATOR, bulk_insert
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


NASTY = [
    {"s": 'caf\u00e9 \U0001f600 \u2028 "quoted" back\\slash, comma\tand\x1fseparator', "k\x1f,": 1},
    {"nested": [{"a": [None, True, False, 0, -1, 1.5, 0.1, 12345678901234567890]}], "empty": {}},
    {"null": None, "list": [], "zero": 0.0, "neg": -0.0, "big": 2**70},
    {},
]


def test_json_values_keep_their_exact_values_and_sql_nulls_stay_null(acme, event_types):
    """Payloads and a JSON column that is NULL in some rows and a JSON value in others, in one batch."""
    created = event_types["card.created"]
    events = [
        Event(
            token=token,
            account=acme.account,
            event_type=created,
            payload=payload,
            created=datetime.now(UTC),
            occurred_at=datetime.now(UTC),
            schema_errors=None if n % 2 else [{"path": "x", "message": f"bad \u00e9 {n}"}],
            previous_state=None if n != 2 else {"was": None},
        )
        for n, (token, payload) in enumerate(zip(tokens.new_tokens("evt", len(NASTY)), NASTY, strict=True))
    ]
    bulk_insert(Event, events)
    if connection.vendor == "postgresql":  # as the database holds them: jsonb of each value's own text
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, payload::text, schema_errors IS NULL, previous_state IS NULL FROM eventhub_event"
                " WHERE id = ANY(%s)",
                [[e.pk for e in events]],
            )
            stored = {pk: row for pk, *row in cursor.fetchall()}
            expected = []
            for event in events:
                cursor.execute("SELECT %s::jsonb::text", [json.dumps(event.payload)])
                expected.append(
                    [cursor.fetchone()[0], event.schema_errors is None, event.previous_state is None]
                )
        assert [stored[e.pk] for e in events] == expected
    rows = {e.pk: e for e in Event.objects.filter(pk__in=[e.pk for e in events])}
    assert [rows[e.pk].payload for e in events] == NASTY
    assert [type(rows[e.pk].payload.get("zero")) for e in events] == [
        type(None),
        type(None),
        float,
        type(None),
    ]
    assert [rows[e.pk].schema_errors for e in events] == [e.schema_errors for e in events]
    assert [rows[e.pk].previous_state for e in events] == [None, None, {"was": None}, None]


def test_texts_holding_the_separator_and_differing_times_are_stored_exactly(acme, event_types):
    created = event_types["card.created"]
    base = datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    keys = [f"k{SEPARATOR}1", "k,2", "k3", "k 4"]
    times = [base, base + timedelta(microseconds=1), datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)]
    times.append(datetime(2026, 6, 1, 12, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    batches = [
        (keys, times),  # a key holding the separator: that column goes as an array
        (["a", "b,c", "", "d"], times),  # joined, the empty text kept
        (["e", None, "f", "g"], times),  # a NULL among the texts: an array
    ]
    for batch_keys, batch_times in batches:
        events = [
            Event(
                token=token,
                account=acme.account,
                event_type=created,
                payload={},
                created=batch_times[0],
                occurred_at=occurred,
                idempotency_key=key,
                entity_id=key or "",
            )
            for token, key, occurred in zip(
                tokens.new_tokens("evt", len(batch_keys)), batch_keys, batch_times, strict=True
            )
        ]
        bulk_insert(Event, events)
        rows = {e.pk: e for e in Event.objects.filter(pk__in=[e.pk for e in events])}
        assert [rows[e.pk].idempotency_key for e in events] == batch_keys
        assert [rows[e.pk].occurred_at for e in events] == batch_times
        assert [rows[e.pk].token for e in events] == [e.token for e in events]


def test_a_batchs_insert_sends_no_list_parameter(acme, event_types):
    """The per-row columns travel as one JSON document and joined strings (psycopg quotes a list's
    elements one by one in Python: the largest cost of a batch before)."""
    if connection.vendor != "postgresql":
        pytest.skip("the single-statement insert is PostgreSQL's (elsewhere bulk_create)")
    for n in range(2):
        create_subscription(acme.account, url=f"https://127.0.0.1/{n}")
    sent = []

    def spy(execute, sql, params, many, context):
        if "INSERT INTO" in sql:
            sent.append(params)
        return execute(sql, params, many, context)

    early = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with connection.execute_wrapper(spy):
        results = publish_batch(
            acme.account,
            [
                Submission("card.created", {"n": n}, f"key-{n}", early + timedelta(seconds=n))
                for n in range(5)
            ],
        )
    assert len(sent) == 1  # the events and their messages: one statement
    assert [type(p) for p in sent[0] if isinstance(p, list | tuple)] == []
    assert Message.objects.filter(event__in=[r.event for r in results]).count() == 10


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
