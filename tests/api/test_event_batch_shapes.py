"""The batch publish's plain shape check and response bodies (eventhub/api/event_batch.py) are exact
stand-ins for EventBatchSerializer and EventSerializer: same validated data, same errors, same JSON."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from eventhub.api.event_batch import _plain_batch, event_bodies, validated_event_batch
from eventhub.api.serializers import EventBatchSerializer, EventSerializer
from eventhub.models import Event
from eventhub.services.ingest import Submission, publish, publish_batch
from eventhub.services.rules import create_rule
from tests.eventhub.test_rules import NINETY_PERCENT, UPDATED

TRICKY = [
    "card.created",
    " card.created",
    "card.created\n",
    "",
    "   ",
    "a" * 128,
    "a" * 129,
    "k" * 255,
    "k" * 256,
    "x\x00y",
    "\ud800",
    "carte.créée",
    "\u00a0card",
    "card\u2028",
    None,
    5,
    1.5,
    True,
    [],
    {},
]
TEXTS = st.one_of(
    st.none(),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(TRICKY),
    st.lists(st.integers(), max_size=1),
)
TIMES = st.one_of(
    TEXTS,
    st.sampled_from(["2026-12-01T10:00:00Z", "2026-12-01T10:00:00.123456+02:00", "2026-12-01", "nope"]),
)
ITEMS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "event_type": TEXTS,
            "payload": st.one_of(st.dictionaries(st.text(max_size=3), TEXTS, max_size=2), TEXTS),
            "idempotency_key": TEXTS,
            "occurred_at": TIMES,
            "unknown": TEXTS,
        },
    ),
    TEXTS,
)
BATCHES = st.fixed_dictionaries(
    {"events": st.one_of(st.lists(ITEMS, max_size=4), TEXTS, st.dictionaries(st.text(max_size=2), ITEMS))},
    optional={"account_token": TEXTS},
)


def plain(value):
    """OrderedDicts (DRF's validated data) compared as dicts, recursively."""
    if isinstance(value, (dict, OrderedDict)):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def drf_verdict(data: dict):
    body = EventBatchSerializer(data=data)
    return ("valid", plain(body.validated_data)) if body.is_valid() else ("invalid", body.errors)


def our_verdict(data: dict):
    try:
        return ("valid", plain(validated_event_batch(data)))
    except ValidationError as error:
        return ("invalid", error.detail)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BATCHES)
def test_the_plain_batch_check_accepts_and_refuses_exactly_what_the_serializer_does(data):
    assert our_verdict(data) == drf_verdict(data)


WELL_FORMED = {"event_type": "card.created", "payload": {"card_token": "c1"}}


@pytest.mark.parametrize("value", [*TRICKY, "2026-12-01T10:00:00Z", "2026-12-01", "nope"], ids=repr)
@pytest.mark.parametrize(
    "field", ["event_type", "payload", "idempotency_key", "occurred_at", "account_token"]
)
def test_each_field_of_an_otherwise_well_formed_batch_gets_the_serializers_verdict(field, value):
    if field == "account_token":
        data = {"events": [WELL_FORMED], "account_token": value}
    else:
        data = {"events": [WELL_FORMED, {**WELL_FORMED, field: value}]}
    assert our_verdict(data) == drf_verdict(data)


def test_a_well_formed_batch_takes_the_plain_path_with_the_serializers_result():
    data = {
        "account_token": "acct_1",
        "events": [
            {"event_type": "card.created", "payload": {"card_token": "c1"}},
            {"event_type": "card.created", "payload": {}, "idempotency_key": "k1", "occurred_at": None},
            {"event_type": "card.created", "payload": {"a": 1}, "occurred_at": "2026-12-01T10:00:00+02:00"},
        ],
    }
    assert _plain_batch(data) is not None
    assert plain(_plain_batch(data)) == drf_verdict(data)[1]


def test_untrimmed_or_non_string_values_are_left_to_the_serializer():
    for item in (
        {"event_type": " card.created", "payload": {}},
        {"event_type": 5, "payload": {}},
        {"event_type": "card.created", "payload": {}, "idempotency_key": "k "},
        {"event_type": "card.created", "payload": {}, "occurred_at": "soon"},
    ):
        assert _plain_batch({"events": [item]}) is None


@pytest.mark.django_db
def test_batch_response_bodies_equal_the_event_serializers(acme, event_types):
    create_rule(
        acme.account,
        code="spend_90",
        name="90 % spent",
        description="",
        event_name=UPDATED,
        calculation=NINETY_PERCENT,
    )
    publish(acme.account, "configuration.commitment.created", {"id": "c1", "amount": 100, "amountSpent": 0})
    publish(acme.account, UPDATED, {"id": "c1", "amount": 100, "amountSpent": 95})
    results = publish_batch(
        acme.account,
        [
            *[Submission("card.created", {"card_token": f"c{i}", "n": [i, None]}) for i in range(3)],
            Submission("card.created", {"card_token": "late"}, "key-1", None),
        ],
    )
    events = [r.event for r in results] + list(Event.objects.filter(account=acme.account).order_by("id"))
    assert any(e.caused_by_id for e in events)  # a notification: caused_by is rendered as its cause's token
    assert event_bodies(events) == EventSerializer(events, many=True).data
