"""The admin's "Mark actioned" calls the same service as the billing API: error events waiting for action
get who and when, an audit row each; events already actioned are left alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from eventhub.models import AuditLogEntry, Event, EventType
from eventhub.services.ingest import EventSpec, publish, record_events

pytestmark = pytest.mark.django_db


def test_mark_actioned_records_the_staff_user_and_skips_events_actioned_already(staff, world, admin_user):
    [failure] = record_events(
        world.account, [EventSpec(EventType.objects.get(name="ingest.validation_failure"), {"errors": []})]
    )
    card = publish(world.account, "card.created", {"card_token": "c1"}).event
    waiting = reverse("admin:eventhub_event_changelist") + "?awaiting_action=1"
    assert failure.event.token in staff.get(waiting).content.decode()

    response = staff.post(
        reverse("admin:eventhub_event_changelist"),
        {"action": "mark_actioned", "_selected_action": [failure.event.pk, card.pk]},
        follow=True,
    )
    assert "1 event(s) marked actioned." in response.content.decode()
    actioned = Event.objects.get(pk=failure.event.pk)
    assert not actioned.awaiting_action and actioned.actioned_by == f"user:{admin_user.username}"
    assert actioned.dt_actioned == actioned.actioned_at is not None
    assert Event.objects.get(pk=card.pk).actioned_by == ""  # actioned when processed, untouched
    [audit] = AuditLogEntry.objects.filter(action="event.actioned")
    assert audit.object_token == failure.event.token and audit.actor_user_id == admin_user.pk
    assert failure.event.token not in staff.get(waiting).content.decode()
