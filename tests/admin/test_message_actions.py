"""Messages and attempts are read-only; resend runs inline for a few messages and as a background
job (with progress on the jobs page) for many."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deliveries.models import Message, MessageAttempt, MessageStatus, RecoveryJob
from deliveries.services.dispatch import flush_kicks
from deliveries.services.recovery import run_job
from eventhub.models import AuditLogEntry

MESSAGES = "admin:deliveries_message_changelist"


@pytest.mark.django_db
def test_resend_a_few_messages_inline(staff, world, kicks, django_capture_on_commit_callbacks):
    messages = world.add_deliveries(3, failed_every=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse(MESSAGES),
            {"action": "resend_messages", "_selected_action": [m.pk for m in messages]},
            follow=True,
        )
    assert "Queued 3 resend(s)" in response.content.decode()
    assert Message.objects.filter(status=MessageStatus.PENDING, schedule_step=0).count() == 3
    assert AuditLogEntry.objects.filter(action="message.resent").count() == 3
    assert flush_kicks() and "deliveries.deliver_due" in kicks


@pytest.mark.django_db
def test_resend_many_runs_as_a_background_job_with_progress(staff, world, django_capture_on_commit_callbacks):
    messages = world.add_deliveries(25, failed_every=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse(MESSAGES),
            {"action": "resend_messages", "_selected_action": [m.pk for m in messages]},
            follow=True,
        )
    assert "Resend of 25 messages queued as job" in response.content.decode()
    run_job(RecoveryJob.objects.get(kind="resend").pk)  # what the worker does with the kick
    assert Message.objects.filter(status=MessageStatus.PENDING).count() == 25
    page = staff.get(reverse("admin:deliveries_jobs")).content.decode()
    assert 'data-state="done"' in page and "<strong>25</strong>" in page and "25 of 25" in page


@pytest.mark.django_db
def test_message_and_attempt_pages_are_read_only_and_link_each_other(staff, world):
    message = world.add_deliveries(1, failed_every=1)[0]
    attempt = MessageAttempt.objects.get(message=message)
    page = staff.get(reverse("admin:deliveries_message_change", args=[message.pk])).content.decode()
    assert attempt.token in page and 'name="_save"' not in page
    page = staff.get(reverse("admin:deliveries_messageattempt_change", args=[attempt.pk])).content.decode()
    assert message.token in page and world.subscription.url in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{"status": "FAILED"}, {"code": "5xx"}, {"code": "none"}, {"created_within": "1h"}, {"account": "1"}],
)
def test_attempt_filters(staff, world, params):
    world.add_deliveries(4, failed_every=2)
    response = staff.get(reverse("admin:deliveries_messageattempt_changelist"), params)
    assert response.status_code == 200


@pytest.mark.django_db
def test_attempt_filter_by_subscription_token_and_search_by_any_token(staff, world):
    messages = world.add_deliveries(2, failed_every=2)
    url = reverse("admin:deliveries_messageattempt_changelist")
    page = staff.get(url, {"subscription": world.subscription.token}).content.decode()
    assert page.count('class="field-token"') == 2
    assert staff.get(url, {"subscription": "ep_unknown"}).content.decode().count('class="field-token"') == 0
    page = staff.get(url, {"q": messages[0].event.token}).content.decode()
    assert page.count('class="field-token"') == 1
    page = staff.get(reverse(MESSAGES), {"q": messages[1].token}).content.decode()
    assert page.count('class="field-token"') == 1
