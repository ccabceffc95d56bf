"""The one-event publish's plain shape check and response body (eventhub/api/event_batch.py) are exact
stand-ins for EventSubmissionSerializer and EventSerializer: same validated data, same errors, same JSON,
through the API as well."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from eventhub.api.errors import _flatten, _summary
from eventhub.api.event_batch import plain_event, validated_event
from eventhub.api.serializers import EventSerializer, EventSubmissionSerializer
from eventhub.models import Event
from tests.api.test_event_batch_shapes import ITEMS, TEXTS, TRICKY, WELL_FORMED, plain


def drf_verdict(data):
    body = EventSubmissionSerializer(data=data)
    return ("valid", plain(body.validated_data)) if body.is_valid() else ("invalid", body.errors)


def our_verdict(data):
    try:
        return ("valid", plain(validated_event(data)))
    except ValidationError as error:
        return ("invalid", error.detail)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(ITEMS, st.lists(ITEMS, max_size=2), TEXTS))
def test_the_plain_event_check_accepts_and_refuses_exactly_what_the_serializer_does(data):
    assert our_verdict(data) == drf_verdict(data)


@pytest.mark.parametrize("value", [*TRICKY, "2026-12-01T10:00:00Z", "2026-12-01", "nope"], ids=repr)
@pytest.mark.parametrize("field", ["event_type", "payload", "idempotency_key", "occurred_at"])
def test_each_field_of_an_otherwise_well_formed_event_gets_the_serializers_verdict(field, value):
    data = {**WELL_FORMED, field: value}
    assert our_verdict(data) == drf_verdict(data)


def test_a_well_formed_event_takes_the_plain_path_with_the_serializers_result():
    data = {
        **WELL_FORMED,
        "idempotency_key": "k1",
        "occurred_at": "2026-12-01T10:00:00+02:00",
        "account_token": "acct_1",
    }
    assert plain_event(data) is not None
    assert plain(plain_event(data)) == drf_verdict(data)[1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"event_type": "   ", "payload": {}},
        {"event_type": "a" * 129, "payload": {}},
        {"event_type": "card.created"},
        {"event_type": "card.created", "payload": {}, "occurred_at": "soon"},
        {"payload": {}},
        [],
    ],
    ids=repr,
)
def test_a_malformed_one_event_publish_gets_the_serializers_errors(acme, event_types, body):
    response = acme.client().post("/v1/events", body, format="json")
    assert response.status_code == 400
    expected = EventSubmissionSerializer(data=body)
    assert not expected.is_valid()
    errors = _flatten(expected.errors)
    assert response.json() == {"message": _summary(errors), "errors": errors}


@pytest.mark.django_db
def test_a_one_event_publish_answers_the_event_serializers_body(acme, event_types):
    client = acme.client()
    submission = {"event_type": "card.created", "payload": {"card_token": "c1", "n": [1, None, 2.5]}}
    first = client.post("/v1/events", {**submission, "idempotency_key": "k1"}, format="json")
    repeat = client.post("/v1/events", {**submission, "idempotency_key": "k1"}, format="json")
    assert (first.status_code, repeat.status_code) == (201, 200)
    event = Event.objects.get(token=first.json()["token"])
    assert first.json() == repeat.json() == EventSerializer(event).data
