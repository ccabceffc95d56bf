"""Error events the hub raises when a delivery routed by an integration configuration fails: the kind per
outcome (401/403 authentication, 400/422 validation at once; 5xx and network failures as perform when the
message finally fails; disabled while pending), once per message and kind, never an error about an error,
and the configuration's status following the outcomes. Real receivers, the real delivery loop."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from jsonschema import Draft202012Validator

from deliveries.http import SendResult
from deliveries.models import Message, MessageStatus
from deliveries.services.integration_outcomes import RoutedOutcome, routes_for
from deliveries.services.integration_outcomes import apply as apply_outcomes
from deliveries.services.recovery import send_example
from eventhub.models import Event, EventType
from eventhub.services.catalog import load_packs
from eventhub.services.rules import create_rule
from subscriptions.integrations import (
    create_integration,
    create_webhook_destination,
    integration_status,
    set_integration_enabled,
    set_webhook_active,
)
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db
CREDENTIALS = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "k", "secret": "s"}


@pytest.fixture
def billing_pack(event_types):
    load_packs(["billing"])


def route(account, url, *, rule_event="card.created", code="cards"):
    """A webhook destination that an integration configuration sends a notification rule's events to."""
    destination = create_webhook_destination(account, url=url, name="Hook", credentials=CREDENTIALS)
    rule = create_rule(account, name=code, code=code, event_name=rule_event, always_fire_event=True)
    config = create_integration(
        account,
        destination="WEBHOOK",
        entity_type="Notification",
        entity_id=rule.token,
        destination_id=destination.token,
    )
    return destination, config


def error_events(account, kind: str | None = None):
    names = [f"error.integration.{kind}"] if kind else None
    queryset = Event.objects.filter(account=account, event_type__name__startswith="error.integration.")
    return list(queryset.filter(event_type_id__in=names) if names else queryset)


def valid_for_its_type(event: Event) -> bool:
    schema = EventType.objects.get(key=event.event_type_id).schema
    return not list(Draft202012Validator(schema).iter_errors(event.payload))


@pytest.mark.parametrize(
    "status,kind,config_status",
    [
        (401, "authentication", "AUTH_FAILED"),
        (403, "authentication", "AUTH_FAILED"),
        (400, "validation", "ERROR"),
        (422, "validation", "ERROR"),
    ],
)
def test_a_refusal_raises_its_error_event_on_the_first_attempt_and_never_again_for_that_message(
    acme, billing_pack, receiver, status, kind, config_status
):
    destination, config = route(acme.account, receiver.url)
    receiver.behaviour.default_status = status
    source = send_event(acme.account)
    now = timezone.now()
    assert deliver(now) == 1
    [error] = error_events(acme.account)
    notification = Event.objects.get(caused_by=source)
    assert error.event_type_name == f"error.integration.{kind}" and error.caused_by_id == notification.pk
    assert error.awaiting_action and error.actioned_at is None
    assert valid_for_its_type(error)
    message = Message.objects.get(subscription=destination)
    assert error.payload | {"message": "-"} == {
        "event_type": f"error.integration.{kind}",
        "id": message.token,
        "integrationConfigurationId": config.token,
        "destination": "WEBHOOK",
        "destinationId": destination.token,
        "destinationUrl": receiver.url,
        "entityType": "Notification",
        "entityId": config.entity_id,
        "accountId": None,
        "errorCode": {"authentication": "AUTH_FAILED", "validation": "VALIDATION_FAILED"}[kind],
        "message": "-",
        "dtOccurred": error.payload["dtOccurred"],
        "messageId": message.token,
        "eventId": notification.token,
        "attempts": 1,
        "lastAttempt": {"statusCode": status, "error": None, "dtAttempted": now.isoformat()},
    }
    config.refresh_from_db()
    assert integration_status(config) == config_status

    for retry in (11, 40, 100):  # every retry gets the same refusal: still one event of that kind
        deliver(now + timedelta(seconds=retry))
    assert Message.objects.get(subscription=destination).status == MessageStatus.FAILED
    assert len(error_events(acme.account)) == 1


def test_a_server_error_raises_perform_only_when_the_message_finally_fails(acme, billing_pack, receiver):
    destination, config = route(acme.account, receiver.url)
    receiver.behaviour.default_status = 500
    send_event(acme.account)
    now = timezone.now()
    deliver(now)
    for retry in (11, 32):  # the schedule is 10, 20, 40 s: retries 1 and 2 fail, more are due
        deliver(now + timedelta(seconds=retry))
        assert error_events(acme.account) == []
    config.refresh_from_db()
    assert integration_status(config) == "AWAITING_RETRY"
    deliver(now + timedelta(seconds=73))  # the last retry
    assert Message.objects.get(subscription=destination).status == MessageStatus.FAILED
    [error] = error_events(acme.account, "perform")
    assert error.payload["lastAttempt"]["statusCode"] == 500 and error.payload["attempts"] == 4
    assert valid_for_its_type(error)
    config.refresh_from_db()
    assert integration_status(config) == "ERROR"


def test_an_unreachable_destination_raises_perform_with_no_status_code(acme, billing_pack, receiver):
    url = receiver.url
    receiver.stop()  # connection refused from now on
    route(acme.account, url)
    send_event(acme.account)
    now = timezone.now()
    for seconds in (0, 11, 32, 73):
        deliver(now + timedelta(seconds=seconds))
    [error] = error_events(acme.account)
    assert error.event_type_name == "error.integration.perform"
    assert error.payload["lastAttempt"]["statusCode"] is None and error.payload["lastAttempt"]["error"]


def test_a_success_raises_nothing_and_completes_the_configuration(acme, billing_pack, receiver):
    _, config = route(acme.account, receiver.url)
    send_event(acme.account)
    deliver()
    assert error_events(acme.account) == []
    config.refresh_from_db()
    assert config.routing_status == "COMPLETE" and integration_status(config) == "COMPLETE"


def test_card_subscriptions_raise_no_integration_errors(acme, billing_pack, receiver):
    subscribe(acme.account, receiver.url)
    receiver.behaviour.default_status = 401
    send_event(acme.account)
    deliver()
    assert error_events(acme.account) == []


def test_a_destination_disabled_while_a_message_was_pending_raises_disabled(acme, billing_pack, receiver):
    destination, config = route(acme.account, receiver.url)
    send_event(acme.account)
    set_webhook_active(destination, False)
    deliver()
    assert receiver.requests == []
    [error] = error_events(acme.account)
    assert error.event_type_name == "error.integration.disabled" and error.payload["lastAttempt"] is None
    assert valid_for_its_type(error)
    config.refresh_from_db()
    assert integration_status(config) == "DISABLED"


def test_a_configuration_disabled_while_a_message_was_pending_raises_disabled_after_its_last_attempt(
    acme, billing_pack, receiver
):
    _, config = route(acme.account, receiver.url)
    receiver.behaviour.default_status = 503
    send_event(acme.account)
    now = timezone.now()
    deliver(now)  # one failed attempt; a retry is pending
    set_integration_enabled(config, False)  # routes nothing new; the pending retry is already there
    deliver(now + timedelta(seconds=11))
    assert len(receiver.requests) == 1  # the retry was not sent
    [error] = error_events(acme.account)
    assert error.event_type_name == "error.integration.disabled"
    assert error.payload["lastAttempt"]["statusCode"] == 503 and error.payload["attempts"] == 1


def test_recording_the_same_outcome_twice_raises_one_event_per_message_and_kind(acme, billing_pack, receiver):
    """As two workers recording the same message would: the idempotency key makes the second a no-op."""
    route(acme.account, receiver.url)
    receiver.behaviour.default_status = 401
    send_event(acme.account)
    deliver()
    message = Message.objects.select_related("event", "subscription").get(subscription__dialect="billing")
    config = routes_for([message])[message.id]
    again = RoutedOutcome(message, config, timezone.now(), SendResult(401, "", "HTTP 401", 3))
    apply_outcomes([again, again], timezone.now())
    assert len(error_events(acme.account)) == 1


def test_an_error_about_the_delivery_of_an_error_does_not_cascade(acme, billing_pack, receiver):
    """A rule on the error type, routed to the same refusing destination: its notification fails too, but
    raises no second error event (else each error would cause the next, for ever)."""
    destination, _ = route(acme.account, receiver.url)
    on_error = create_rule(
        acme.account,
        name="errors",
        code="errors",
        event_name="error.integration.authentication",
        always_fire_event=True,
    )
    create_integration(
        acme.account,
        destination="WEBHOOK",
        entity_type="Notification",
        entity_id=on_error.token,
        destination_id=destination.token,
    )
    receiver.behaviour.default_status = 401
    send_event(acme.account)
    deliver()
    deliver()  # the notification of the error event, which the destination refuses as well
    assert Message.objects.filter(subscription=destination, attempt_count__gt=0).count() == 2
    assert len(error_events(acme.account)) == 1


def test_card_deliveries_pay_no_statement_for_routes(acme, billing_pack, receiver, django_assert_num_queries):
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    messages = list(Message.objects.select_related("event", "subscription"))
    with django_assert_num_queries(0):
        assert routes_for(messages) == {}


@pytest.mark.django_db(transaction=True)
def test_two_workers_recording_the_same_refusal_at_once_raise_one_event(acme, billing_pack, receiver):
    """The idempotency key's unique constraint settles the race (PostgreSQL: both transactions overlap)."""
    route(acme.account, receiver.url)
    send_event(acme.account)
    message = Message.objects.select_related("event", "subscription").get(subscription__dialect="billing")
    config = routes_for([message])[message.id]
    outcome = RoutedOutcome(message, config, timezone.now(), SendResult(401, "", "", 3))
    barrier, errors = threading.Barrier(2), []

    def record():
        try:
            barrier.wait()
            apply_outcomes([outcome], timezone.now())
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(error_events(acme.account)) == 1


def test_an_example_sent_to_a_refusing_destination_raises_nothing(acme, billing_pack, receiver):
    destination, config = route(acme.account, receiver.url)
    receiver.behaviour.default_status = 401
    send_example(destination, "notification.cards")
    deliver()
    assert len(receiver.requests) == 1 and error_events(acme.account) == []
    config.refresh_from_db()
    assert config.routing_status == ""
