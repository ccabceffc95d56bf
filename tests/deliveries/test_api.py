"""The card-issuing API of deliveries: attempts lists (shape, filters, paging both ways, scoping) and the
resend / recover / replay missing / send example endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from lithic.types import MessageAttempt as LithicMessageAttempt

from deliveries.models import Message, MessageStatus, RecoveryJob
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db
REFUSED = "http://127.0.0.1:9/hook"  # nothing listens on the discard port: connection refused at once


@pytest.fixture
def delivered(acme, event_types, receiver):
    """One event: a success to `ok`, a connection-refused failure to `down`."""
    ok = subscribe(acme.account, receiver.url)
    down = subscribe(acme.account, REFUSED)
    event = send_event(acme.account)
    deliver()
    return event, ok, down


def test_event_attempts_have_the_sdk_shape(acme, delivered):
    event, ok, down = delivered
    response = acme.client().get(f"/v1/events/{event.token}/attempts")
    assert response.status_code == 200
    body = response.json()
    assert body["has_more"] is False and len(body["data"]) == 2
    by_subscription = {item["event_subscription_token"]: item for item in body["data"]}
    success, failure = by_subscription[ok.token], by_subscription[down.token]
    assert set(success) == {
        "token",
        "created",
        "event_subscription_token",
        "event_token",
        "response",
        "response_status_code",
        "status",
        "url",
    }
    assert (
        success["status"] == "SUCCESS"
        and success["response"] == "ok"
        and success["response_status_code"] == 200
    )
    assert (
        failure["status"] == "FAILED" and failure["response"] == "" and failure["response_status_code"] == 0
    )
    assert (
        failure["event_token"] == event.token
        and failure["url"] == REFUSED
        and failure["token"].startswith("atmpt_")
    )
    for item in body["data"]:
        LithicMessageAttempt.model_validate(item)  # what strict SDK parsing requires


def test_status_filter_and_a_bad_status(acme, delivered):
    event, ok, down = delivered
    client = acme.client()
    failed = client.get(f"/v1/events/{event.token}/attempts", {"status": "FAILED"}).json()["data"]
    assert [a["event_subscription_token"] for a in failed] == [down.token]
    assert (
        client.get(f"/v1/event_subscriptions/{ok.token}/attempts", {"status": "PENDING"}).json()["data"] == []
    )
    bad = client.get(f"/v1/events/{event.token}/attempts", {"status": "DONE"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_subscription_attempts_page_forward_and_backward(acme, event_types, receiver):
    subscription = subscribe(acme.account, receiver.url)
    for _ in range(5):
        send_event(acme.account)
        deliver()
    client = acme.client()
    url = f"/v1/event_subscriptions/{subscription.token}/attempts"
    everything = [a["token"] for a in client.get(url, {"page_size": 100}).json()["data"]]
    assert len(everything) == 5
    first = client.get(url, {"page_size": 2}).json()
    second = client.get(url, {"page_size": 2, "starting_after": first["data"][-1]["token"]}).json()
    third = client.get(url, {"page_size": 2, "starting_after": second["data"][-1]["token"]}).json()
    assert [a["token"] for a in first["data"] + second["data"] + third["data"]] == everything
    assert (first["has_more"], second["has_more"], third["has_more"]) == (True, True, False)
    back = client.get(url, {"page_size": 2, "ending_before": everything[3]}).json()
    assert [a["token"] for a in back["data"]] == everything[1:3] and back["has_more"] is True


def test_begin_and_end_filter_attempts_by_creation(acme, delivered):
    event, ok, _ = delivered
    client = acme.client()
    url = f"/v1/event_subscriptions/{ok.token}/attempts"
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get(url, {"begin": future}).json()["data"] == []
    assert len(client.get(url, {"end": future}).json()["data"]) == 1
    assert client.get(url, {"begin": "yesterday"}).status_code == 400


def test_another_accounts_event_and_subscription_are_404(globex, delivered):
    event, ok, _ = delivered
    client = globex.client()
    assert client.get(f"/v1/events/{event.token}/attempts").status_code == 404
    assert client.get(f"/v1/event_subscriptions/{ok.token}/attempts").status_code == 404
    assert client.post(f"/v1/events/{event.token}/event_subscriptions/{ok.token}/resend").status_code == 404
    assert client.post(f"/v1/event_subscriptions/{ok.token}/recover").status_code == 404
    assert client.post(f"/v1/event_subscriptions/{ok.token}/replay_missing").status_code == 404
    assert (
        client.post(
            f"/v1/simulate/event_subscriptions/{ok.token}/send_example", {}, format="json"
        ).status_code
        == 404
    )


def test_resend_is_202_with_an_empty_body_and_queues_an_attempt(acme, delivered, receiver):
    event, ok, _ = delivered
    response = acme.client().post(
        f"/v1/events/{event.token}/event_subscriptions/{ok.token}/resend", content_type="application/json"
    )
    assert response.status_code == 202 and response.content == b""
    assert Message.objects.get(event=event, subscription=ok).status == MessageStatus.PENDING
    deliver()
    assert len(receiver.wait_for(2)) == 2


def test_recover_and_replay_are_accepted_repeatedly_and_queue_jobs(
    acme, delivered, kicks, django_capture_on_commit_callbacks
):
    _, _, down = delivered
    client = acme.client()
    begin = (timezone.now() - timedelta(hours=1)).isoformat()
    end = (timezone.now() + timedelta(minutes=1)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            response = client.post(
                f"/v1/event_subscriptions/{down.token}/recover?begin={begin.replace('+', '%2B')}&end={end.replace('+', '%2B')}"
            )
            assert response.status_code == 202 and response.content == b""
        assert client.post(f"/v1/event_subscriptions/{down.token}/replay_missing").status_code == 202
    assert RecoveryJob.objects.filter(subscription=down, kind="recover").count() == 1
    assert RecoveryJob.objects.filter(subscription=down, kind="replay_missing").count() == 1
    assert kicks.count("deliveries.run_recovery_job") == 2


def test_a_window_over_the_limit_is_400(acme, delivered):
    _, ok, _ = delivered
    response = acme.client().post(
        f"/v1/event_subscriptions/{ok.token}/recover?begin=2024-01-01T00:00:00Z&end=2024-02-01T00:00:00Z"
    )
    assert response.status_code == 400 and "begin" in response.json()["errors"]


def test_send_example_takes_the_event_type_from_the_body(acme, event_types, kicks):
    subscription = subscribe(acme.account, REFUSED)
    client = acme.client()
    url = f"/v1/simulate/event_subscriptions/{subscription.token}/send_example"
    response = client.post(url, {"event_type": "card.shipped"}, format="json")
    assert response.status_code == 202 and response.content == b""
    message = Message.objects.get(subscription=subscription)
    assert message.is_example and message.event.payload == {"card_token": "c1", "event_type": "card.shipped"}
    assert client.post(url, {"event_type": "nope.nope"}, format="json").status_code == 400
    assert client.post(url, content_type="application/json").status_code == 400  # all types: which one?


def test_disabled_subscription_operations_are_400(acme, delivered):
    from subscriptions.services import set_disabled

    event, ok, _ = delivered
    set_disabled(ok, True)
    client = acme.client()
    assert client.post(f"/v1/events/{event.token}/event_subscriptions/{ok.token}/resend").status_code == 400
    assert client.post(f"/v1/event_subscriptions/{ok.token}/recover").status_code == 400
