"""The engine against real loopback receivers: outcomes, retries, 410, Retry-After, timeouts, redirects,
capped responses, fairness between subscriptions, statements per delivered message, leases."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from deliveries.models import AttemptStatus, Message, MessageAttempt, MessageStatus
from deliveries.services.claims import claim_due
from deliveries.services.dispatch import ANY, FIRST, RETRY, flush_kicks
from eventhub.models import Event
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db


def _message() -> Message:
    return Message.objects.get()


def test_success_records_one_attempt_and_a_successful_message(acme, event_types, receiver):
    receiver.behaviour.body = b'{"received":true}'
    subscription = subscribe(acme.account, receiver.url)
    send_event(acme.account)
    deliver()
    message = _message()
    assert message.status == MessageStatus.SUCCESS and message.attempt_count == 1
    assert (
        message.succeeded_at is not None
        and message.next_attempt_at is None
        and message.lease_expires_at is None
    )
    [attempt] = MessageAttempt.objects.all()
    assert attempt.status == AttemptStatus.SUCCESS and attempt.response_status_code == 200
    assert attempt.response_body == '{"received":true}' and attempt.url == subscription.url


def test_failure_then_success_on_the_scheduled_retry(acme, event_types, receiver):
    subscribe(acme.account, receiver.url)
    receiver.behaviour.statuses = [500]
    send_event(acme.account)
    now = timezone.now()
    deliver(now=now)
    message = _message()
    assert message.status == MessageStatus.PENDING and message.schedule_step == 1
    assert message.next_attempt_at == now + timedelta(seconds=10)
    assert deliver(now=now + timedelta(seconds=9)) == 0  # not due yet
    deliver(now=now + timedelta(seconds=10))
    message.refresh_from_db()
    assert message.status == MessageStatus.SUCCESS and message.attempt_count == 2
    statuses = list(MessageAttempt.objects.order_by("id").values_list("status", "response_status_code"))
    assert statuses == [("FAILED", 500), ("SUCCESS", 200)]


def test_retries_wait_in_their_own_lane(acme, event_types, receiver):
    subscribe(acme.account, receiver.url)
    receiver.behaviour.statuses = [500]
    send_event(acme.account)
    now = timezone.now()
    deliver(now=now)
    later = now + timedelta(seconds=10)
    assert claim_due(FIRST, later, 10)[0] == []
    assert len(claim_due(RETRY, later, 10)[0]) == 1


def test_failed_after_the_whole_schedule(acme, event_types, receiver):
    subscribe(acme.account, receiver.url)
    receiver.behaviour.default_status = 503
    send_event(acme.account)
    now = timezone.now()
    for offset in (0, 10, 30, 70):
        deliver(now=now + timedelta(seconds=offset))
    message = _message()
    assert (
        message.status == MessageStatus.FAILED
        and message.attempt_count == 4
        and message.next_attempt_at is None
    )
    assert deliver(now=now + timedelta(days=1)) == 0
    assert len(receiver.requests) == 4


def test_410_gone_disables_the_subscription_at_once_and_tells_the_account(acme, event_types, receiver):
    gone = subscribe(acme.account, receiver.url, event_types=["card.created"])
    receiver.behaviour.default_status = 410
    send_event(acme.account)
    send_event(acme.account)
    deliver()
    gone.refresh_from_db()
    assert gone.disabled and gone.disabled_reason == "gone"
    assert set(Message.objects.filter(subscription=gone).values_list("status", flat=True)) == {
        MessageStatus.FAILED
    }
    notice = Event.objects.get(event_type_id="event_subscription.disabled")
    assert notice.payload["event_subscription_token"] == gone.token and notice.payload["reason"] == "gone"


@pytest.mark.django_db(transaction=True)  # the notice's commit asks for the kick that delivers it
def test_the_disabled_notice_reaches_the_accounts_other_subscriptions(
    acme, event_types, receiver, receiver_factory, kicks, settings
):
    settings.EVENTHUB_KICK_GATE = False  # every kick counted, whatever an earlier one left in the cache
    watcher = receiver_factory()
    subscribe(acme.account, receiver.url, event_types=["card.created"])
    subscribe(acme.account, watcher.url)
    receiver.behaviour.default_status = 410
    send_event(acme.account)
    assert flush_kicks()
    kicks.clear()
    deliver()  # the watcher gets card.created; the 410 disables the other and publishes the notice
    assert flush_kicks() and kicks == ["deliveries.deliver_due"]  # the notice's commit wakes a worker
    deliver()  # the loop that kick starts
    bodies = [r.body for r in watcher.wait_for(2)]
    assert any(b'"event_type":"event_subscription.disabled"' in b for b in bodies)


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "1000", 20.0),  # capped at twice the scheduled 10 s
        (429, "0", 10.0),  # never sooner than scheduled
        (503, "15", 15.0),  # honoured inside the bounds
        (500, "15", 10.0),  # only 429 and 503 carry a meaningful Retry-After
    ],
)
def test_retry_after_is_honoured_within_the_scheduled_delay_and_twice_it(
    acme, event_types, receiver, status, retry_after, expected
):
    subscribe(acme.account, receiver.url)
    receiver.behaviour.statuses = [status]
    receiver.behaviour.headers = {"Retry-After": retry_after}
    send_event(acme.account)
    now = timezone.now()
    deliver(now=now)
    assert _message().next_attempt_at == now + timedelta(seconds=expected)


def test_retry_after_as_an_http_date(acme, event_types, receiver):
    from email.utils import format_datetime

    subscribe(acme.account, receiver.url)
    receiver.behaviour.statuses = [503]
    receiver.behaviour.headers = {
        "Retry-After": format_datetime(timezone.now() + timedelta(seconds=16), usegmt=True)
    }
    send_event(acme.account)
    now = timezone.now()
    deliver(now=now)
    delay = (_message().next_attempt_at - now).total_seconds()
    assert 13 <= delay <= 17


def test_an_endpoint_that_never_answers_fails_at_the_timeout(acme, event_types, receiver):
    subscribe(acme.account, receiver.url)
    receiver.behaviour.hang = True
    send_event(acme.account)
    started = time.monotonic()
    deliver()
    assert time.monotonic() - started < 2.5  # EVENTHUB_DELIVERY_TIMEOUT is 1 s here
    [attempt] = MessageAttempt.objects.all()
    assert attempt.status == AttemptStatus.FAILED and attempt.response_status_code == 0
    assert "timeout" in attempt.error
    assert _message().status == MessageStatus.PENDING


def test_a_trickling_body_is_cut_at_the_total_deadline(acme, event_types, receiver):
    subscribe(acme.account, receiver.url)
    receiver.behaviour.body_size = 1000
    receiver.behaviour.trickle_seconds = 0.05  # each read gets a byte well inside the read timeout
    send_event(acme.account)
    started = time.monotonic()
    deliver()
    assert time.monotonic() - started < 2.5
    [attempt] = MessageAttempt.objects.all()
    assert attempt.response_status_code == 200 and len(attempt.response_body) < 1000
    assert "deadline" in attempt.error


def test_a_redirect_is_a_failure_and_is_not_followed(acme, event_types, receiver, receiver_factory):
    target = receiver_factory()
    subscribe(acme.account, receiver.url)
    receiver.behaviour.default_status = 302
    receiver.behaviour.headers = {"Location": target.url}
    send_event(acme.account)
    deliver()
    [attempt] = MessageAttempt.objects.all()
    assert attempt.status == AttemptStatus.FAILED and attempt.response_status_code == 302
    assert "redirect" in attempt.error
    assert target.requests == []


def test_a_10_mb_response_is_read_only_up_to_the_cap(acme, event_types, receiver, settings):
    subscribe(acme.account, receiver.url)
    receiver.behaviour.body_size = 10 * 1024 * 1024
    send_event(acme.account)
    started = time.monotonic()
    deliver()
    assert time.monotonic() - started < 2
    [attempt] = MessageAttempt.objects.all()
    assert attempt.status == AttemptStatus.SUCCESS
    assert len(attempt.response_body) == settings.EVENTHUB_RESPONSE_BODY_CAP


def test_ssrf_guard_refuses_an_address_outside_the_allow_list(acme, event_types, receiver_factory, settings):
    other = receiver_factory("127.0.0.2")
    settings.EVENTHUB_SSRF_ALLOW = settings.EVENTHUB_ALLOW_HTTP_HOSTS = ["127.0.0.1", "127.0.0.2"]
    subscribe(acme.account, other.url)
    settings.EVENTHUB_SSRF_ALLOW = ["127.0.0.1"]
    send_event(acme.account)
    deliver()
    [attempt] = MessageAttempt.objects.all()
    assert attempt.status == AttemptStatus.FAILED and attempt.error.startswith("blocked")
    assert "127.0.0.2" in attempt.error
    assert other.requests == []


def test_ssrf_guard_checks_the_address_a_host_name_resolves_to_at_send_time(
    acme, event_types, receiver, settings
):
    subscribe(acme.account, f"http://localhost:{receiver.port}/hook")  # allowed when saved
    settings.EVENTHUB_SSRF_ALLOW = ["127.0.0.2"]  # localhost now resolves to an address the policy refuses
    send_event(acme.account)
    deliver()
    [attempt] = MessageAttempt.objects.all()
    assert attempt.error.startswith("blocked") and "localhost" in attempt.error
    assert receiver.requests == []


def test_messages_of_a_subscription_disabled_since_are_failed_without_sending(acme, event_types, receiver):
    from subscriptions.services import set_disabled

    subscription = subscribe(acme.account, receiver.url)
    send_event(acme.account)
    set_disabled(subscription, True)
    deliver()
    message = _message()
    assert message.status == MessageStatus.FAILED and message.attempt_count == 0
    assert receiver.requests == [] and MessageAttempt.objects.count() == 0


def test_auto_disable_after_days_of_nothing_but_failures(acme, event_types, receiver, settings):
    settings.EVENTHUB_RETRY_SCHEDULE = [3600.0] * 200
    subscription = subscribe(acme.account, receiver.url, event_types=["card.created"])
    receiver.behaviour.default_status = 500
    send_event(acme.account)
    start = timezone.now()
    deliver(now=start)
    assert subscription.failure_streak.failing_since == start
    deliver(now=start + timedelta(days=4, hours=23, minutes=59))  # retry due every hour; not yet 5 days
    subscription.refresh_from_db()
    assert not subscription.disabled
    for hours in (120, 121):
        deliver(now=start + timedelta(hours=hours))
    subscription.refresh_from_db()
    assert subscription.disabled and subscription.disabled_reason == "failing"
    assert Event.objects.filter(event_type_id="event_subscription.disabled").count() == 1


def test_a_success_ends_the_failure_streak(acme, event_types, receiver):
    subscription = subscribe(acme.account, receiver.url)
    receiver.behaviour.statuses = [500]
    send_event(acme.account)
    now = timezone.now()
    deliver(now=now)
    assert subscription.failure_streak.failing_since == now
    deliver(now=now + timedelta(seconds=10))
    subscription.refresh_from_db()
    assert not hasattr(subscription, "failure_streak") or subscription.failure_streak.failing_since is None


def test_a_hanging_subscription_does_not_delay_a_healthy_one(acme, globex, event_types, receiver_factory):
    stuck, healthy = receiver_factory(), receiver_factory()
    stuck.behaviour.hang = True
    slow = subscribe(acme.account, stuck.url)
    slow.max_concurrency = 2
    slow.save()
    for _ in range(6):
        send_event(acme.account)
    subscribe(globex.account, healthy.url)
    for _ in range(5):
        send_event(globex.account)
    started = time.monotonic()
    deliver()
    elapsed = time.monotonic() - started
    arrivals = [r.at - started for r in healthy.wait_for(5)]
    assert max(arrivals) < 0.5, arrivals  # all five while the stuck endpoint holds its two slots
    assert stuck.max_in_flight <= 2 and len(stuck.requests) == 6
    assert 2.5 <= elapsed < 6  # three rounds of two 1 s timeouts
    assert MessageAttempt.objects.filter(status=AttemptStatus.FAILED).count() == 6


def test_statements_per_delivered_message(acme, globex, event_types, receiver, django_assert_max_num_queries):
    subscribe(acme.account, receiver.url, max_concurrency=25)
    subscribe(globex.account, receiver.url, max_concurrency=25)
    for _ in range(20):
        send_event(acme.account)
        send_event(globex.account)
    # Claim + load, then per half batch one INSERT and one UPDATE (+ SAVEPOINT/RELEASE inside the test
    # transaction) and a refill claim: 12 for 40 messages (8 outside a test transaction); the bound
    # leaves room for a slow machine's extra flush. The target is at most 4 per message.
    with django_assert_max_num_queries(16) as captured:
        assert deliver() == 40
    assert Message.objects.filter(status=MessageStatus.SUCCESS).count() == 40
    print(f"{len(captured)} statements for 40 delivered messages:")
    for query in captured.captured_queries:
        print("   ", query["sql"][:100])


def test_a_dead_workers_lease_expires_and_the_message_is_claimed_again(acme, event_types, receiver, settings):
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    now = timezone.now()
    ids, lease = claim_due(ANY, now, 10)  # a worker claims, then dies before sending
    assert len(ids) == 1 and _message().status == MessageStatus.SENDING
    assert claim_due(ANY, now, 10)[0] == []  # nobody else may take it while the lease holds
    deliver(now=lease)
    assert _message().status == MessageStatus.SUCCESS and len(receiver.requests) == 1


def test_a_stalled_worker_does_not_overwrite_the_message_another_worker_took(acme, event_types, receiver):
    from deliveries.http import SendResult
    from deliveries.services.outcomes import Outcome, record_outcomes

    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    now = timezone.now()
    _, old_lease = claim_due(ANY, now, 10)
    stale = _message()
    deliver(now=old_lease)  # the lease ran out; another worker delivered it
    record_outcomes([Outcome(stale, old_lease, "http://x", now, SendResult(500, "", "", 5))], now)
    assert _message().status == MessageStatus.SUCCESS  # the late failure is kept as an attempt only
    assert MessageAttempt.objects.count() == 2


def test_a_loop_out_of_budget_hands_over_even_when_caps_keep_its_claims_small(
    acme, event_types, receiver, monkeypatch
):
    """Subscriptions at their concurrency cap never fill a claim batch; a loop that stops for its time
    budget while work is still flowing must still wake a successor (else delivery stalls until a sweep)."""
    from deliveries import tasks

    kicked: list[str] = []
    monkeypatch.setattr(tasks.deliver_due, "apply_async", lambda *a, **k: kicked.append("deliver_due"))
    receiver.behaviour.delay = 0.05
    subscribe(acme.account, receiver.url, max_concurrency=2)
    for index in range(20):
        send_event(acme.account, card_token=f"c{index}")
    kicked.clear()  # the publishes' own kicks
    deliver(budget_seconds=0.2)
    left = Message.objects.filter(status=MessageStatus.PENDING).count()
    assert 0 < left < 20  # it stopped for its budget, with work left
    assert kicked == ["deliver_due"]


@pytest.mark.django_db(transaction=True)  # the late record runs on the sending thread's own connection
def test_a_hanging_send_is_detached_from_its_loop_and_records_its_own_outcome(
    acme, event_types, receiver_factory
):
    """With detach_after (as the worker runs it), a loop does not wait for a send that hangs until the
    timeout: it returns at once, and the send's attempt is recorded when the timeout ends it."""
    hanging = receiver_factory()
    hanging.behaviour.hang = True
    subscribe(acme.account, hanging.url)
    send_event(acme.account)
    started = time.monotonic()
    deliver(detach_after=0.2)
    assert time.monotonic() - started < 0.9  # the delivery timeout is 1 s in these tests
    assert not MessageAttempt.objects.exists()
    deadline = time.monotonic() + 10
    while not MessageAttempt.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    [attempt] = MessageAttempt.objects.all()
    assert attempt.status == AttemptStatus.FAILED and attempt.response_status_code == 0 and attempt.error
    message = _message()
    assert (
        message.status == MessageStatus.PENDING
        and message.schedule_step == 1
        and message.lease_expires_at is None
    )


def test_a_refused_connection_is_recorded_as_its_cause_without_the_pool_name(acme, event_types):
    subscribe(acme.account, "http://127.0.0.1:9/hook")  # nothing listens on the discard port
    send_event(acme.account)
    deliver()
    [attempt] = MessageAttempt.objects.all()
    assert attempt.error.startswith("ConnectionError: Failed to establish a new connection: ")
    assert "Connection refused" in attempt.error and "HTTPConnection" not in attempt.error
