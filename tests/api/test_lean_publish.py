"""The lean one-event publish (eventhub/api/lean_publish.py) answers every request exactly as the DRF view
does: same status, JSON body (minus the new event's token and time), and headers. Each case runs twice, once
with the lean path switched off (EVENTHUB_LEAN_PUBLISH=False: the DRF view serves it) on one account and once
with it on, on another account set up the same way; the plain cases must also really take the lean path."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import caches
from django.test import Client
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import SimpleRateThrottle

from eventhub.api.lean_publish import lean_publish  # noqa: F401 -- the module under test must exist
from eventhub.services.accounts import revoke_api_key

HAPPY = {
    "event_type": "card.created",
    "payload": {"card_token": "c1", "amount": 12, "note": "naïve \u2028 ✓"},
}
COMMITMENT = {"id": "m1", "amount": 5}


def post(body=HAPPY, *, key="own", content_type="application/json", headers=None, query="", raw=None):
    """One request of a case: `key` is "own" (the account's key), "staff", "bad", "revoked" or None."""
    return {
        "body": raw if raw is not None else json.dumps(body).encode(),
        "key": key,
        "content_type": content_type,
        "headers": headers or {},
        "query": query,
    }


# name: (requests in order, whether the lean path answers the last one)
CASES = {
    "happy single": ([post()], True),
    "happy single, charset in the content type": (
        [post(content_type="application/json; charset=utf-8")],
        True,
    ),
    "happy single, Accept application/json": ([post(headers={"Accept": "application/json"})], True),
    "happy single, Bearer key": ([post(key="own-bearer")], True),
    "happy single with a schema": (
        [post({"event_type": "configuration.commitment.created", "payload": COMMITMENT})],
        True,
    ),
    "happy single with occurred_at": ([post({**HAPPY, "occurred_at": "2026-12-01T10:00:00+02:00"})], True),
    "idempotent repeat via header": (
        [post(headers={"Idempotency-Key": "k-1"}), post(headers={"Idempotency-Key": "k-1"})],
        True,
    ),
    "idempotent repeat via body key": (
        [post({**HAPPY, "idempotency_key": "k-2"}), post({**HAPPY, "idempotency_key": "k-2"})],
        True,
    ),
    "idempotency key reused for another payload": (
        [
            post(headers={"Idempotency-Key": "k-3"}),
            post({**HAPPY, "payload": {"x": 1}}, headers={"Idempotency-Key": "k-3"}),
        ],
        True,
    ),
    "batch": ([post({"events": [HAPPY, HAPPY]})], False),
    "bad JSON": ([post(raw=b'{"event_type": ')], False),
    "NaN in JSON": ([post(raw=b'{"event_type": "card.created", "payload": {"n": NaN}}')], False),
    "empty body": ([post(raw=b"")], False),
    "JSON that is not an object": ([post(raw=b"[1, 2]")], False),
    "wrong content type": ([post(content_type="text/plain")], False),
    "form content type": ([post(content_type="application/x-www-form-urlencoded")], False),
    "Accept that JSON cannot satisfy": ([post(headers={"Accept": "text/html"})], False),
    "Accept asking for indented JSON": ([post(headers={"Accept": "application/json; indent=4"})], False),
    "format in the query string": ([post(query="format=json")], False),
    "missing key": ([post(key=None)], False),
    "bad key": ([post(key="bad")], False),
    "revoked key": ([post(key="revoked")], False),
    "staff key naming the account": ([post(key="staff", headers={"X-EventHub-Account": "{account}"})], False),
    "staff key naming no account": ([post(key="staff")], False),
    "account header naming another account": ([post(headers={"X-EventHub-Account": "acct_other"})], False),
    "account_token in the body": ([post({**HAPPY, "account_token": "{account}"})], False),
    "schema rejection": (
        [post({"event_type": "configuration.commitment.created", "payload": {"id": 1}})],
        True,
    ),
    "unknown event type": ([post({"event_type": "no.such.type", "payload": {}})], True),
    "archived event type": ([post({"event_type": "legacy.thing.happened", "payload": {}})], True),
    "blank event type": ([post({"event_type": " ", "payload": {}})], False),
    "payload not an object": ([post({"event_type": "card.created", "payload": [1]})], False),
    "bad occurred_at": ([post({**HAPPY, "occurred_at": "yesterday"})], False),
    "idempotency key too long": ([post(headers={"Idempotency-Key": "k" * 300})], True),
    "too large": ([post({**HAPPY, "payload": {"blob": "x" * 2000}})], False),
}


@pytest.fixture(autouse=True)
def _fresh_counters():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def send(client: Client, keyed, step: dict, staff_key: str):
    keys = {"own": keyed.key, "own-bearer": f"Bearer {keyed.key}", "staff": staff_key, "bad": "ehk_not-a-key"}
    keys["revoked"] = keyed.key
    headers = {name: value.replace("{account}", keyed.token) for name, value in step["headers"].items()}
    if step["key"] is not None:
        headers["Authorization"] = keys[step["key"]]
    body = step["body"].replace(b"{account}", keyed.token.encode())
    path = "/v1/events" + (f"?{step['query']}" if step["query"] else "")
    return client.generic("POST", path, body, content_type=step["content_type"], headers=headers)


def comparable(response) -> tuple:
    """Status, body and headers with what differs between two accounts' events (token, time) and between
    two moments (seconds until the rate-limit window ends) taken out."""
    body = json.loads(response.content) if response.content else None
    for item in body.get("data", [body]) if isinstance(body, dict) else []:
        if isinstance(item, dict) and "token" in item:
            item["token"] = item["created"] = "..."
    if isinstance(body, dict) and "message" in body:
        body["message"] = re.sub(r"retry in \d+ s", "retry in N s", body["message"])
    headers = {
        name.lower(): value for name, value in response.headers.items() if name.lower() != "content-length"
    }
    if "retry-after" in headers:
        headers["retry-after"] = "N"
    return response.status_code, body, headers


def took_lean_path(response) -> bool:
    """The lean path finalizes its Response with no view instance; the DRF view puts itself there."""
    return getattr(response, "renderer_context", {}).get("view", "drf") is None


def run(keyed, steps, staff_key, *, lean: bool, settings) -> list:
    settings.EVENTHUB_LEAN_PUBLISH = lean
    client = Client()
    return [send(client, keyed, step, staff_key) for step in steps]


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(CASES))
def test_the_lean_path_answers_each_request_as_the_drf_view_does(
    name, acme, globex, staff_key, event_types, settings
):
    steps, lean_answers = CASES[name]
    settings.EVENTHUB_MAX_REQUEST_BYTES = 1000
    if any(step["key"] == "revoked" for step in steps):
        revoke_api_key(acme.api_key)
        revoke_api_key(globex.api_key)
    drf = run(globex, steps, staff_key, lean=False, settings=settings)
    lean = run(acme, steps, staff_key, lean=True, settings=settings)
    assert [comparable(r) for r in lean] == [comparable(r) for r in drf]
    assert took_lean_path(lean[-1]) is lean_answers
    assert not any(took_lean_path(r) for r in drf)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "steps",
    [
        [post(), post(), post()],
        [post(raw=b"{nope"), post(), post()],  # handed to DRF: counted there, once
        [post({"events": [HAPPY]}), post(), post()],
        [post({"event_type": "no.such.type", "payload": {}}), post(), post()],  # counted by the lean path
    ],
    ids=["happy", "bad JSON first", "batch first", "unknown type first"],
)
def test_the_rate_limit_counts_each_request_once_and_throttles_as_drf_does(
    steps, acme, globex, staff_key, event_types, settings, monkeypatch
):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"api_key": "2/day"})
    drf = run(globex, steps, staff_key, lean=False, settings=settings)
    lean = run(acme, steps, staff_key, lean=True, settings=settings)
    assert [r.status_code for r in lean][-1] == 429
    assert [comparable(r) for r in lean] == [comparable(r) for r in drf]
    assert int(lean[-1]["Retry-After"]) >= 1
    assert took_lean_path(lean[-1])


@pytest.mark.django_db
def test_the_lean_response_is_byte_for_byte_what_drf_renders(acme, globex, staff_key, event_types, settings):
    """Compact separators, UTF-8 rather than \\u escapes, U+2028 escaped: JSONRenderer's exact bytes."""
    (drf,) = run(globex, [post()], staff_key, lean=False, settings=settings)
    (lean,) = run(acme, [post()], staff_key, lean=True, settings=settings)
    assert took_lean_path(lean)
    ours, theirs = lean.json(), drf.json()
    expected = drf.content.replace(theirs["token"].encode(), ours["token"].encode())
    expected = expected.replace(theirs["created"].encode(), ours["created"].encode())
    assert lean.content == expected == JSONRenderer().render(ours)
    assert "\u2028".encode() not in lean.content and "ï".encode() in lean.content
