"""Hostile input to ingest and the other endpoints: always a clear 4xx with a JSON body, never a 5xx."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventhub.models import Event

pytestmark = pytest.mark.django_db
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


def raw_post(client, body: bytes, content_type="application/json"):
    return client.generic("POST", "/v1/events", body, content_type=content_type)


@FAST
@given(payload=json_values)
def test_arbitrary_json_payloads_are_accepted_or_refused_cleanly(acme, event_types, payload):
    response = acme.client().post(
        "/v1/events", {"event_type": "card.created", "payload": payload}, format="json"
    )
    if (
        isinstance(payload, dict)
        and payload.get("event_type", "card.created") == "card.created"
        and "\\u0000" not in json.dumps(payload)
    ):
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400, response.content
        assert response.json()["errors"]


@FAST
@given(body=st.binary(max_size=200))
def test_arbitrary_bytes_never_cause_a_server_error(acme, event_types, body):
    response = raw_post(acme.client(), body)
    assert response.status_code in (200, 201, 400), response.content
    assert "message" in response.json()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"event_type": "card.created", "payload": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper"),
        (b'{"event_type": "card.created", "payload": {"n": 1e999}}', "out of range"),
        (b'{"event_type": "card.created", "payload": {"n": NaN}}', "not valid JSON"),
        (b'{"event_type": "card.created", "payload": {"n": ' + b"9" * 5000 + b"}}", "not valid JSON"),
        (b'{"event_type": "card.created", "payload": {"s": "\\u0000"}}', "NUL"),
        (b'{"event_type": "card.created", "payload": {"s": "\\ud800"}}', "lone surrogates"),
        (b'\xff\xfe{"event_type"}', "UTF-8"),
    ],
)
def test_pathological_bodies_are_400(acme, event_types, body, fragment):
    response = raw_post(acme.client(), body)
    assert response.status_code == 400, response.content
    assert fragment in json.dumps(response.json())
    assert not Event.objects.filter(event_type="card.created").exists()


def test_huge_string_is_413(acme, event_types):
    body = json.dumps({"event_type": "card.created", "payload": {"s": "x" * 300_000}}).encode()
    assert raw_post(acme.client(), body).status_code == 413


def test_wrong_content_type_is_415(acme, event_types):
    response = raw_post(
        acme.client(), b"event_type=card.created", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert "message" in response.json()


def test_overlong_event_type_and_idempotency_key_are_400(acme, event_types):
    client = acme.client()
    long_type = client.post("/v1/events", {"event_type": "a." * 200, "payload": {}}, format="json")
    assert long_type.status_code == 400 and "event_type" in long_type.json()["errors"]
    long_key = client.post(
        "/v1/events",
        {"event_type": "card.created", "payload": {}, "idempotency_key": "k" * 300},
        format="json",
    )
    assert long_key.status_code == 400 and "idempotency_key" in long_key.json()["errors"]


def test_overlong_url_is_a_clean_error(acme, event_types):
    response = acme.client().get("/v1/events/" + "e" * 10_000)
    assert response.status_code in (400, 404, 414)


def test_body_over_the_request_limit_is_413(acme, event_types, settings):
    settings.EVENTHUB_MAX_REQUEST_BYTES = 10_000
    events = [{"event_type": "card.created", "payload": {"i": i}} for i in range(1000)]
    response = raw_post(acme.client(), json.dumps({"events": events}).encode())
    assert response.status_code == 413 and "larger than 10000" in response.json()["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/event_subscriptions?ending_before=ep_%00x",
        "/v1/events?starting_after=evt%00",
        "/v1/events?event_types=card.created%00",
    ],
)
def test_a_nul_in_the_query_is_a_400_naming_the_parameter(acme, event_types, path):
    response = acme.client().get(path)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"] and "NUL" in body["message"]
