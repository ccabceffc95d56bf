"""EVENTHUB_SUBSCRIPTION_CONCURRENCY is read when messages are claimed, never frozen into a row or a
migration: a subscription without a cap of its own follows the setting when an operator changes it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from deliveries.services.claims import claim_due
from deliveries.services.dispatch import ANY
from subscriptions.models import EventSubscription
from tests.deliveries.conftest import send_event, subscribe

pytestmark = pytest.mark.django_db


def test_a_subscription_without_its_own_cap_follows_the_concurrency_setting_when_it_changes(
    acme, event_types, receiver, settings
):
    subscribe(acme.account, receiver.url)
    for index in range(3):
        send_event(acme.account, card_token=f"c{index}")
    settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY = 1
    ids, _lease = claim_due(ANY, timezone.now(), 10)
    assert len(ids) == 1  # the setting's cap, read at claim time


def test_a_subscription_with_its_own_cap_keeps_it_when_the_setting_changes(
    acme, event_types, receiver, settings
):
    subscription = subscribe(acme.account, receiver.url)
    EventSubscription.objects.filter(pk=subscription.pk).update(max_concurrency=2)
    for index in range(3):
        send_event(acme.account, card_token=f"c{index}")
    settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY = 1
    ids, _lease = claim_due(ANY, timezone.now(), 10)
    assert len(ids) == 2
