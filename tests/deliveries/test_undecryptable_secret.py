"""A subscription whose stored signing secret no configured key decrypts fails only its own messages: an
attempt with a clear error (shown in admin), then the retry schedule; the rest of the batch is delivered."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from deliveries.models import AttemptStatus, Message, MessageAttempt, MessageStatus
from subscriptions.models import EventSubscription
from subscriptions.secrets import UNDECRYPTABLE
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db


def test_an_undecryptable_secret_fails_only_its_own_messages_with_a_clear_error(
    acme, event_types, receiver_factory, admin_client
):
    healthy, orphaned = receiver_factory(), receiver_factory()
    good = subscribe(acme.account, healthy.url)
    bad = subscribe(acme.account, orphaned.url)
    # Encrypted under a key the hub does not have (a key removed too early, a restored backup).
    EventSubscription.objects.filter(pk=bad.pk).update(
        secret_encrypted=Fernet(Fernet.generate_key()).encrypt(b"whsec_x").decode()
    )
    for index in range(3):
        send_event(acme.account, card_token=f"c{index}")

    deliver()

    assert len(healthy.requests) == 3 and orphaned.requests == []
    assert set(Message.objects.filter(subscription=good).values_list("status", flat=True)) == {
        MessageStatus.SUCCESS
    }
    failed = Message.objects.filter(subscription=bad)
    assert [(m.status, m.schedule_step, m.attempt_count) for m in failed] == [
        (MessageStatus.PENDING, 1, 1)
    ] * 3
    attempts = MessageAttempt.objects.filter(subscription=bad)
    assert attempts.count() == 3
    assert {(a.status, a.response_status_code, a.error) for a in attempts} == {
        (AttemptStatus.FAILED, 0, UNDECRYPTABLE)
    }

    page = admin_client.get(reverse("admin:deliveries_messageattempt_change", args=[attempts[0].pk]))
    assert page.status_code == 200 and UNDECRYPTABLE in page.content.decode()
