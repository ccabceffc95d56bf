"""Ingest through POST /v1/events: each validation rule with its error body, idempotency, the batch form."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from eventhub.models import Entity, Event
from eventhub.services.ingest import publish

pytestmark = pytest.mark.django_db


def post(client, body, **headers):
    return client.post("/v1/events", body, format="json", **headers)


def test_publish_returns_201_with_the_event_as_get_shows_it(acme, event_types):
    client = acme.client()
    response = post(client, {"event_type": "card.created", "payload": {"card_token": "c1"}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("evt_")
    assert body["event_type"] == "card.created"
    assert body["payload"] == {"card_token": "c1", "event_type": "card.created"}
    assert client.get(f"/v1/events/{body['token']}").json() == body


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"payload": {}}, "event_type", "required"),
        ({"event_type": "no.such.type", "payload": {}}, "event_type", "Unknown event type"),
        ({"event_type": "legacy.thing.happened", "payload": {}}, "event_type", "archived"),
        ({"event_type": "card.created"}, "payload", "required"),
        ({"event_type": "card.created", "payload": [1, 2]}, "payload", "JSON object"),
        ({"event_type": "card.created", "payload": "text"}, "payload", "JSON object"),
        (
            {"event_type": "card.created", "payload": {"event_type": "card.updated"}},
            "payload.event_type",
            "Must equal",
        ),
        (
            {"event_type": "configuration.commitment.created", "payload": {"id": "c1"}},
            "payload",
            "'amount' is a required property",
        ),
        (
            {"event_type": "configuration.commitment.created", "payload": {"id": "c1", "amount": -5}},
            "payload.amount",
            "minimum",
        ),
        (
            {"event_type": "configuration.commitment.deleted", "payload": {"name": "x"}},
            "payload.id",
            "Entity events need",
        ),
    ],
)
def test_invalid_submissions_are_400_naming_the_field(acme, event_types, body, field, fragment):
    response = post(acme.client(), body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert field in data["errors"], data
    assert fragment in " ".join(data["errors"][field])
    assert data["message"]
    assert (
        not Event.objects.filter(account=acme.account)
        .exclude(event_type="ingest.validation_failure")
        .exists()
    )


def test_a_rejected_submission_emits_an_ingest_validation_failure_event(acme, event_types):
    post(
        acme.client(),
        {"event_type": "configuration.commitment.created", "payload": {"id": "c1"}, "idempotency_key": "k1"},
    )
    failure = Event.objects.get(account=acme.account, event_type="ingest.validation_failure")
    assert failure.payload["rejected_event_type"] == "configuration.commitment.created"
    assert failure.payload["idempotency_key"] == "k1"
    assert failure.payload["errors"][0]["path"] == "payload"


def test_payload_over_the_size_limit_is_413(acme, event_types, settings):
    settings.EVENTHUB_MAX_PAYLOAD_BYTES = 1000
    response = post(acme.client(), {"event_type": "card.created", "payload": {"blob": "x" * 2000}})
    assert response.status_code == 413
    assert "limit is 1000" in response.json()["errors"]["payload"][0]


def test_warn_mode_accepts_and_records_schema_problems(acme, event_types):
    response = post(acme.client(), {"event_type": "pos.order.updated", "payload": {"order_id": 7}})
    assert response.status_code == 201
    event = Event.objects.get(token=response.json()["token"])
    assert event.schema_errors and event.schema_errors[0]["path"] == "payload.order_id"


def test_same_idempotency_key_returns_the_original_event(acme, event_types):
    client = acme.client()
    first = post(
        client, {"event_type": "card.created", "payload": {"card_token": "a"}}, HTTP_IDEMPOTENCY_KEY="key-1"
    )
    again = post(
        client, {"event_type": "card.created", "payload": {"card_token": "b"}}, HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert Event.objects.filter(account=acme.account, idempotency_key="key-1").count() == 1


def test_idempotency_keys_are_per_account(acme, globex, event_types):
    a = post(acme.client(), {"event_type": "card.created", "payload": {}}, HTTP_IDEMPOTENCY_KEY="shared")
    b = post(globex.client(), {"event_type": "card.created", "payload": {}}, HTTP_IDEMPOTENCY_KEY="shared")
    assert a.status_code == b.status_code == 201
    assert a.json()["token"] != b.json()["token"]


@pytest.mark.django_db(transaction=True)
def test_parallel_publishes_with_one_key_make_one_event(acme, event_types):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL (run in CI)")
    results, errors = [], []

    def worker():
        try:
            results.append(
                publish(acme.account, "card.created", {"card_token": "p"}, idempotency_key="race").event.token
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(set(results)) == 1 and len(results) == 8
    assert Event.objects.filter(account=acme.account, idempotency_key="race").count() == 1


def test_batch_publishes_all_items(acme, event_types):
    items = [{"event_type": "card.created", "payload": {"card_token": str(i)}} for i in range(5)]
    response = post(acme.client(), {"events": items})
    assert response.status_code == 201
    assert [e["payload"]["card_token"] for e in response.json()["data"]] == [str(i) for i in range(5)]
    assert Event.objects.filter(account=acme.account, event_type="card.created").count() == 5


def test_batch_with_one_bad_item_names_it_and_writes_nothing(acme, event_types):
    items = [{"event_type": "card.created", "payload": {"card_token": str(i)}} for i in range(4)]
    items.insert(
        2, {"event_type": "configuration.commitment.created", "payload": {"id": "c", "amount": "lots"}}
    )
    response = post(acme.client(), {"events": items})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["events[2].payload.amount"]
    assert "1 of 5 events rejected" in response.json()["message"]
    assert not Event.objects.filter(account=acme.account, event_type="card.created").exists()


def test_batch_over_the_limit_is_refused(acme, event_types, settings):
    settings.EVENTHUB_MAX_BATCH_SIZE = 3
    items = [{"event_type": "card.created", "payload": {}} for _ in range(4)]
    response = post(acme.client(), {"events": items})
    assert response.status_code == 400
    assert "at most 3" in response.json()["message"]


def test_batch_repeats_an_idempotency_key_inside_and_across_batches(acme, event_types):
    client = acme.client()
    items = [
        {"event_type": "card.created", "payload": {}, "idempotency_key": "x"},
        {"event_type": "card.created", "payload": {}, "idempotency_key": "x"},
    ]
    data = post(client, {"events": items}).json()["data"]
    assert data[0]["token"] == data[1]["token"]
    again = post(client, {"events": items[:1]})
    assert again.status_code == 200 and again.json()["data"][0]["token"] == data[0]["token"]


def test_entity_events_keep_the_latest_state_and_the_previous_one(acme, event_types):
    created = publish(acme.account, "configuration.commitment.created", {"id": "c1", "amount": 100}).event
    updated = publish(acme.account, "configuration.commitment.updated", {"id": "c1", "amount": 150}).event
    assert created.previous_state is None
    assert updated.previous_state == {"id": "c1", "amount": 100}
    entity = Entity.objects.get(account=acme.account, entity_type="commitment", entity_id="c1")
    assert entity.data == {"id": "c1", "amount": 150} and entity.last_event_id == updated.id
    publish(acme.account, "configuration.commitment.deleted", {"id": "c1"})
    entity.refresh_from_db()
    assert entity.deleted


def test_out_of_order_entity_update_does_not_overwrite_newer_state(acme, event_types):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    publish(acme.account, "configuration.commitment.updated", {"id": "c2", "amount": 2}, occurred_at=now)
    late = publish(
        acme.account,
        "configuration.commitment.updated",
        {"id": "c2", "amount": 1},
        occurred_at=now - timedelta(minutes=5),
    ).event
    assert late.previous_state is None
    assert Entity.objects.get(entity_id="c2").data["amount"] == 2


def test_in_process_publish_matches_the_api(acme, event_types):
    import eventhub

    event = eventhub.publish(acme.account, "card.shipped", {"card_token": "z"})
    assert Event.objects.get(pk=event.pk).payload == {"card_token": "z", "event_type": "card.shipped"}


def test_non_json_and_empty_bodies_are_clear_400s(acme, event_types):
    client = acme.client()
    bad = client.post("/v1/events", data="{not json", content_type="application/json")
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["message"]
    empty = client.post("/v1/events", data="", content_type="application/json")
    assert empty.status_code == 400 and "event_type" in empty.json()["errors"]


@pytest.mark.parametrize("default", [list, uuid.uuid4])
def test_new_events_refuse_a_default_they_would_share(monkeypatch, default):
    """_new_events copies one row of defaults into every event: a per-instance default must fail loudly."""
    from eventhub.services import ingest

    monkeypatch.setattr(Event._meta.get_field("entity_type"), "default", default)
    with pytest.raises(TypeError, match="entity_type"):
        ingest._check_event_row()
