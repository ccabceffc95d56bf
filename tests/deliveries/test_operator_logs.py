"""Operator logs (EVENTHUB_LOG_FORMAT=json): one JSON object per attempt outcome and per disable, with
account, subscription, message and event tokens; never the payload or the signing secret."""

from __future__ import annotations

import json
import logging

import pytest

from eventhub.logs import JsonFormatter
from subscriptions.services import current_secret
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Records of the `eventhub.deliveries` logger, formatted as the json log format writes them."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect(level=logging.INFO)
    handler.setFormatter(JsonFormatter())
    target = logging.getLogger("eventhub.deliveries")
    previous = target.level
    target.addHandler(handler)
    target.setLevel(logging.INFO)
    yield lines
    target.removeHandler(handler)
    target.setLevel(previous)


def test_attempt_outcomes_and_disables_are_json_lines_with_tokens_and_no_secrets(
    json_lines, kicks, acme, event_types, receiver
):
    receiver.behaviour.statuses = [200, 410]
    subscription = subscribe(acme.account, receiver.url)
    first = send_event(acme.account, card_token="PAYLOAD-MARKER-1")
    deliver()
    second = send_event(acme.account, card_token="PAYLOAD-MARKER-2")
    deliver()
    entries = [json.loads(line) for line in json_lines]
    attempts = [e for e in entries if e["event_name"] == "attempt"]
    assert [(a["event_token"], a["outcome"], a["status_code"]) for a in attempts] == [
        (first.token, "success", 200),
        (second.token, "failure", 410),
    ]
    for entry in attempts:
        assert entry["account"] == acme.token and entry["subscription"] == subscription.token
        assert entry["message_token"].startswith("msg_") and entry["level"] == "INFO"
    [disabled] = [e for e in entries if e["event_name"] == "subscription_disabled"]
    assert disabled["subscription"] == subscription.token and disabled["reason"] == "gone"
    text = "\n".join(json_lines)
    assert "PAYLOAD-MARKER" not in text and current_secret(subscription) not in text
