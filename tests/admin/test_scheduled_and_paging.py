"""Scheduled event configurations through the admin, and the paginator that never counts big tables."""

from __future__ import annotations

import pytest
from django.urls import reverse

from eventhub.admin_base import COUNT_CAP, LargeTablePaginator
from eventhub.models import Event
from scheduled_events.models import ScheduledEventConfiguration


@pytest.mark.django_db
def test_scheduled_configuration_is_validated_by_the_service(staff, world):
    url = reverse("admin:scheduled_events_scheduledeventconfiguration_add")
    data = {
        "account": world.account.pk,
        "name": "ending",
        "entity": "commitment",
        "field": "endDate",
        "offset": -30,
        "active": "on",
    }
    response = staff.post(url, data)
    assert (
        response.status_code == 200 and "scheduled.&lt;entity&gt;.&lt;name&gt;" in response.content.decode()
    )
    response = staff.post(url, {**data, "name": "scheduled.commitment.ending"})
    assert response.status_code == 302
    configuration = ScheduledEventConfiguration.objects.get()
    assert configuration.offset == -30
    page = staff.get(
        reverse("admin:scheduled_events_scheduledeventconfiguration_changelist")
    ).content.decode()
    assert "30 days before" in page


@pytest.mark.django_db
def test_paginator_caps_the_count(world, monkeypatch):
    monkeypatch.setattr("eventhub.admin_base.COUNT_CAP", 5)
    world.add_deliveries(8)
    paginator = LargeTablePaginator(Event.objects.filter(account=world.account).order_by("-created"), 2)
    assert paginator.count == 5 and paginator.capped and paginator.count_label == "5+"
    assert COUNT_CAP == 10_000


@pytest.mark.django_db
def test_changelist_shows_the_capped_count_label(staff, world, monkeypatch):
    monkeypatch.setattr("eventhub.admin_base.COUNT_CAP", 5)
    world.add_deliveries(8)
    page = staff.get(reverse("admin:eventhub_event_changelist")).content.decode()
    assert "5+</span> events" in page
