"""Subscription admin: create and edit through the services, reveal and rotate the secret, enable and
disable with a reason, and the delivery actions (recover, replay missing, send example), all audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deliveries.models import Message, MessageStatus, RecoveryJob
from deliveries.services.dispatch import flush_kicks
from deliveries.services.recovery import run_job
from eventhub.models import AuditLogEntry, Event
from subscriptions.models import EventSubscription
from subscriptions.services import current_secret, set_disabled

CHANGELIST = "admin:subscriptions_eventsubscription_changelist"


def action(client, name: str, subscriptions, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": name, "_selected_action": [s.pk for s in subscriptions], **extra},
        follow=True,
    )


@pytest.mark.django_db
def test_create_subscription_through_the_admin_checks_the_url(staff, world):
    url = reverse("admin:subscriptions_eventsubscription_add")
    response = staff.post(
        url,
        {"account": world.account.pk, "url": "https://10.0.0.1/hook", "description": "", "event_types": []},
    )
    assert response.status_code == 200 and "errornote" in response.content.decode()
    response = staff.post(
        url,
        {
            "account": world.account.pk,
            "url": "https://hooks.example.com/new",
            "description": "d",
            "event_types": ["card.created"],
        },
    )
    assert response.status_code == 302
    created = EventSubscription.objects.get(url="https://hooks.example.com/new")
    assert created.event_types == ["card.created"] and current_secret(created).startswith("whsec_")


@pytest.mark.django_db
def test_change_page_masks_the_secret_and_shows_recent_attempts(staff, world):
    world.add_deliveries(30, failed_every=4)
    page = staff.get(
        reverse("admin:subscriptions_eventsubscription_change", args=[world.subscription.pk])
    ).content.decode()
    assert current_secret(world.subscription) not in page
    assert "whsec_••••" in page
    assert page.count("admin/deliveries/messageattempt/") >= 20
    assert 'id="eh-recent-attempts"' in page


@pytest.mark.django_db
def test_reveal_returns_the_secret_and_is_audited(staff, world):
    url = reverse("admin:subscriptions_eventsubscription_reveal", args=[world.subscription.pk])
    assert staff.get(url).status_code == 405
    response = staff.post(url, HTTP_X_REQUESTED_WITH="fetch")
    assert response.json() == {"secret": current_secret(world.subscription)}
    assert "no-store" in response["Cache-Control"]
    assert AuditLogEntry.objects.filter(
        action="subscription.secret_revealed", object_token=world.subscription.token
    ).exists()


@pytest.mark.django_db
def test_rotate_button_and_action_rotate_with_grace_and_audit(staff, world):
    before = current_secret(world.subscription)
    response = staff.post(
        reverse("admin:subscriptions_eventsubscription_rotate", args=[world.subscription.pk]), follow=True
    )
    assert "Secret rotated" in response.content.decode()
    world.subscription.refresh_from_db()
    assert current_secret(world.subscription) != before
    assert world.subscription.previous_secret_expires_at > timezone.now() + timedelta(hours=23)
    response = action(staff, "rotate", [world.subscription])
    assert "Rotated 1 secret" in response.content.decode()
    assert AuditLogEntry.objects.filter(action="subscription.secret_rotated").count() == 2


@pytest.mark.django_db
def test_disable_asks_for_a_reason_then_enable(staff, world):
    page = action(staff, "disable", [world.subscription]).content.decode()
    assert "Disable subscriptions" in page and 'name="reason"' in page
    response = action(staff, "disable", [world.subscription], _apply="Disable", reason="endpoint migrating")
    assert "Disabled 1 subscription" in response.content.decode()
    world.subscription.refresh_from_db()
    assert world.subscription.disabled and world.subscription.disabled_reason == "manual"
    change = staff.get(
        reverse("admin:subscriptions_eventsubscription_change", args=[world.subscription.pk])
    ).content.decode()
    assert "endpoint migrating" in change
    action(staff, "enable", [world.subscription])
    world.subscription.refresh_from_db()
    assert not world.subscription.disabled
    actions = list(
        AuditLogEntry.objects.filter(object_token=world.subscription.token).values_list("action", flat=True)
    )
    assert "subscription.disabled" in actions and "subscription.enabled" in actions


@pytest.mark.django_db
def test_disable_button_on_the_change_page_needs_a_reason(staff, world):
    url = reverse("admin:subscriptions_eventsubscription_state", args=[world.subscription.pk])
    assert (
        "Give a reason"
        in staff.post(url, {"state": "disable", "disable_reason": ""}, follow=True).content.decode()
    )
    staff.post(url, {"state": "disable", "disable_reason": "maintenance"})
    world.subscription.refresh_from_db()
    assert world.subscription.disabled


@pytest.mark.django_db
def test_recover_action_queues_a_job_that_puts_failed_messages_back(
    staff, world, kicks, django_capture_on_commit_callbacks
):
    world.add_deliveries(6, failed_every=2)
    form = action(staff, "recover_failed", [world.subscription]).content.decode()
    assert "Recover failed messages" in form and "begin_0" in form
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = action(
            staff,
            "recover_failed",
            [world.subscription],
            _apply="Queue",
            begin_0=(now - timedelta(days=1)).strftime("%Y-%m-%d"),
            begin_1=(now - timedelta(days=1)).strftime("%H:%M:%S"),
            end_0=(now + timedelta(minutes=5)).strftime("%Y-%m-%d"),
            end_1=(now + timedelta(minutes=5)).strftime("%H:%M:%S"),
        )
    assert "1 background job(s) queued" in response.content.decode()
    job = RecoveryJob.objects.get(subscription=world.subscription, kind="recover")
    assert "deliveries.run_recovery_job" in kicks
    run_job(job.pk)  # what the worker does with the kick
    job.refresh_from_db()
    assert job.status == "DONE" and job.messages == 3
    assert Message.objects.filter(subscription=world.subscription, status=MessageStatus.PENDING).count() == 3
    jobs_page = staff.get(reverse("admin:deliveries_jobs")).content.decode()
    assert job.token in jobs_page and "<strong>3</strong>" in jobs_page
    assert AuditLogEntry.objects.filter(
        action="subscription.recover_requested", details__job=job.token
    ).exists()


@pytest.mark.django_db
def test_recover_rejects_a_window_over_the_cap(staff, world):
    now = timezone.now()
    page = action(
        staff,
        "recover_failed",
        [world.subscription],
        _apply="Queue",
        begin_0=(now - timedelta(days=30)).strftime("%Y-%m-%d"),
        begin_1="00:00:00",
        end_0=now.strftime("%Y-%m-%d"),
        end_1="00:00:00",
    ).content.decode()
    assert "at most 14 days" in page
    assert not RecoveryJob.objects.exists()


@pytest.mark.django_db
def test_replay_missing_creates_messages_for_events_without_one(staff, world):
    set_disabled(world.subscription, True)
    missed = [
        Event.objects.create(
            account=world.account,
            event_type_id="card.created",
            payload={},
            created=timezone.now(),
            occurred_at=timezone.now(),
        )
        for _ in range(2)
    ]
    set_disabled(world.subscription, False)
    now = timezone.now()
    action(
        staff,
        "replay_missing",
        [world.subscription],
        _apply="Queue",
        begin_0=(now - timedelta(hours=1)).strftime("%Y-%m-%d"),
        begin_1=(now - timedelta(hours=1)).strftime("%H:%M:%S"),
        end_0=(now + timedelta(minutes=1)).strftime("%Y-%m-%d"),
        end_1=(now + timedelta(minutes=1)).strftime("%H:%M:%S"),
    )
    run_job(RecoveryJob.objects.get(kind="replay_missing").pk)
    assert Message.objects.filter(event__in=missed, subscription=world.subscription).count() == 2


@pytest.mark.django_db
def test_delivery_actions_on_a_disabled_subscription_say_why(staff, world):
    set_disabled(world.subscription, True)
    page = action(
        staff, "send_example", [world.subscription], _apply="Send", event_type="card.created"
    ).content.decode()
    assert "disabled" in page


@pytest.mark.django_db
def test_send_example_queues_an_example_message(staff, world, kicks, django_capture_on_commit_callbacks):
    page = action(staff, "send_example", [world.subscription]).content.decode()
    assert "card.created" in page  # the type picker
    with django_capture_on_commit_callbacks(execute=True):
        response = action(
            staff, "send_example", [world.subscription], _apply="Send", event_type="card.created"
        )
    assert "Queued 1 example message" in response.content.decode()
    message = Message.objects.get(subscription=world.subscription, is_example=True)
    assert message.event.payload["card_token"] == "c1"
    assert flush_kicks() and "deliveries.deliver_due" in kicks
